//! CROWN on ACAS Xu network 1_1 over the prop_3 input box (5-50×6-5): the dyadic engine
//! (`crown_mlp(…, Some(64))`) and the binary64 one (`Arith::F64`) next to exact IBP and 64-bit
//! rounded IBP, measured in the same run.
//!
//! `cargo bench --bench crown` (add `-- --quick` for a short run).
use std::hint::black_box;

use criterion::Criterion;
use torchlean::bounds::crown::{Arith, Intermediate, crown_mlp, crown_objectives, relaxed_mlp_in};
use torchlean::bounds::ibp::{ibp_mlp, ibp_mlp_rounded};
use torchlean::num::interval::{Interval, parse_box};
use torchlean::model::nnet::parse_nnet;
use torchlean::bounds::dense::Dense;
use torchlean::ir::Tensor;
use torchlean::model::{Act, Family, MlpSpec, Model, lower};
use torchlean::num::Q;
use torchlean::num::binary32::F32;

const NET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/benchmarks/acasxu/ACASXU_run2a_1_1_batch_2000.nnet");
const PROP3: &str = "-0.303531156:-0.298552812,-0.009549297:0.009549297,0.493380324:0.5,0.3:0.5,0.3:0.5";

fn main() {
    let text = std::fs::read_to_string(NET).expect("ACAS Xu benchmark network");
    let mlp = Dense::of(&parse_nnet(&text, NET).expect("valid .nnet")).expect("a dense network");
    let input = parse_box(PROP3).expect("valid box");
    // prop_3's objective rows y0 − yi.
    let rows: Vec<Vec<Q>> = (1..5)
        .map(|i| (0..5).map(|j| Q::from_integer((i64::from(j == 0) - i64::from(j == i)).into())).collect())
        .collect();
    let crown = crown_mlp(&mlp, &input, Some(64)).expect("crown");

    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("acas_1_1_prop3");
    g.bench_function("crown_dyadic_64", |b| {
        b.iter(|| crown_mlp(black_box(&mlp), black_box(&input), Some(64)).unwrap())
    });
    g.bench_function("crown_f64_64", |b| {
        b.iter(|| relaxed_mlp_in(black_box(&mlp), black_box(&input), Some(64), Intermediate::Crown, Arith::F64).unwrap())
    });
    g.bench_function("crown_objectives_prop3", |b| {
        b.iter(|| crown_objectives(black_box(&mlp), black_box(&input), &crown, &rows).unwrap())
    });
    g.bench_function("ibp_exact", |b| b.iter(|| ibp_mlp(black_box(&mlp), black_box(&input)).unwrap()));
    g.bench_function("ibp_rounded_64", |b| {
        b.iter(|| ibp_mlp_rounded(black_box(&mlp), black_box(&input), Some(64)).unwrap())
    });
    g.finish();

    // A 784-256-256-10 ReLU MLP with weights uniform in ±1/√fan_in (xorshift, fixed seed) over the
    // L∞ ball of radius 1/100 around a point of [0, 1]^784: the shape of the auto_LiRPA comparison.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut unit = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let dims = [784usize, 256, 256, 10];
    let mut tensors = Vec::new();
    for k in 0..3 {
        let r = 1.0 / (dims[k] as f64).sqrt();
        let mut w = |_| F32((((unit() * 2.0 - 1.0) * r) as f32).to_bits());
        let weight: Vec<F32> = (0..dims[k + 1] * dims[k]).map(&mut w).collect();
        let bias: Vec<F32> = (0..dims[k + 1]).map(&mut w).collect();
        tensors.push((format!("layers.{k}.weight"), Tensor::new(vec![dims[k + 1], dims[k]], weight).expect("shape")));
        tensors.push((format!("layers.{k}.bias"), Tensor::vector(bias)));
    }
    let spec = MlpSpec::new(dims.to_vec(), vec![Act::Relu, Act::Relu, Act::Identity]).expect("spec");
    let model = Model::new(Family::Mlp(spec), tensors).expect("model");
    let mlp = Dense::of(&lower(&model).expect("lowers")).expect("dense");
    let box784: Vec<Interval> = (0..784)
        .map(|_| {
            let x = Q::new(((unit() * 1e6) as i64).into(), 1_000_000.into());
            let e = Q::new(1.into(), 100.into());
            Interval::new(&x - &e, &x + &e)
        })
        .collect();
    let mut g = c.benchmark_group("mlp_784_256_256_10");
    g.sample_size(20);
    for (name, arith) in [("crown_dyadic_64", Arith::Dyadic), ("crown_f64_64", Arith::F64)] {
        g.bench_function(name, |b| {
            b.iter(|| relaxed_mlp_in(black_box(&mlp), black_box(&box784), Some(64), Intermediate::Crown, arith).unwrap())
        });
    }
    g.finish();
    c.final_summary();
}
