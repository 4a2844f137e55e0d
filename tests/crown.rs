//! CROWN on ACAS Xu network 1_1 over the prop_3 box: sampled soundness, CROWN ⊆ IBP, and results
//! independent of the thread count.
use num_bigint::BigInt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use torchlean::bounds::crown::{Arith, Crown, Intermediate, crown_mlp, crown_objectives, crown_objectives_in, relaxed_mlp_in};
use torchlean::bounds::ibp::ibp_mlp;
use torchlean::num::interval::{Box, parse_box};
use torchlean::bounds::dense::Dense;
use torchlean::model::nnet::parse_nnet;
use torchlean::num::Q;

const NET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/benchmarks/acasxu/ACASXU_run2a_1_1_batch_2000.nnet");
/// The input box of ACAS Xu property 3 (normalised inputs).
const PROP3: &str = "-0.303531156:-0.298552812,-0.009549297:0.009549297,0.493380324:0.5,0.3:0.5,0.3:0.5";

fn acas() -> (Dense, Box) {
    let text = std::fs::read_to_string(NET).expect("ACAS Xu benchmark network");
    (Dense::of(&parse_nnet(&text, NET).expect("valid .nnet")).expect("dense"), parse_box(PROP3).expect("valid box"))
}

fn crown_in_pool(threads: usize, mlp: &Dense, input: &Box) -> Crown {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool");
    pool.install(|| crown_mlp(mlp, input, Some(64)).expect("crown"))
}

#[test]
fn acas_crown_contains_exact_outputs_of_sampled_points() {
    let (mlp, input) = acas();
    let c = crown_mlp(&mlp, &input, Some(64)).unwrap();
    let out = c.pre.last().unwrap();
    let mut rng = StdRng::seed_from_u64(0x5eed_c404);
    let den = BigInt::from(1u64 << 40);
    let points: Vec<Vec<Q>> = (0..200)
        .map(|n| {
            // A point of the box with 40-bit fractional steps; the 32 corners first.
            input
                .iter()
                .enumerate()
                .map(|(i, iv)| {
                    let t = if n < 32 {
                        Q::from_integer(BigInt::from((n >> i) & 1))
                    } else {
                        Q::new(BigInt::from(rng.random_range(0..=1u64 << 40)), den.clone())
                    };
                    &iv.lo + t * (&iv.hi - &iv.lo)
                })
                .collect()
        })
        .collect();
    // Exact evaluation dominates; points are independent.
    points.par_iter().enumerate().for_each(|(n, x)| {
        let y = mlp.eval_exact(x).unwrap();
        for (o, (iv, v)) in out.iter().zip(&y).enumerate() {
            assert!(iv.contains(v), "point {n}, output {o}: {v} outside [{}, {}]", iv.lo, iv.hi);
        }
    });
}

#[test]
fn acas_crown_output_bounds_are_inside_ibp_and_tighter() {
    let (mlp, input) = acas();
    let c = crown_mlp(&mlp, &input, Some(64)).unwrap();
    let ibp = ibp_mlp(&mlp, &input).unwrap();
    let rows: Vec<Vec<Q>> =
        (0..5).map(|i| (0..5).map(|j| Q::from_integer(BigInt::from(i64::from(i == j)))).collect()).collect();
    let raw = crown_objectives(&mlp, &input, &c, &rows).unwrap();
    let zero = || Q::from_integer(0.into());
    let (mut cw, mut iw) = (zero(), zero());
    for (o, (ci, ii)) in raw.iter().zip(ibp.last().unwrap()).enumerate() {
        // Raw CROWN (no intersection, no rounding) is strictly inside exact IBP on every output.
        assert!(ii.lo < ci.lo && ci.hi < ii.hi, "output {o}: CROWN {ci:?} not inside IBP {ii:?}");
        // The reported output box is the intersection, rounded outward by at most 2^-60 relative.
        let reported = &c.pre.last().unwrap()[o];
        assert!(reported.lo <= ci.lo && ci.hi <= reported.hi);
        cw += &ci.hi - &ci.lo;
        iw += &ii.hi - &ii.lo;
    }
    assert!(&cw * Q::from_integer(4.into()) < iw, "CROWN total width {cw} not below a quarter of IBP's {iw}");
}

#[test]
fn acas_crown_is_identical_on_one_and_two_threads() {
    let (mlp, input) = acas();
    let one = crown_in_pool(1, &mlp, &input);
    let two = crown_in_pool(2, &mlp, &input);
    assert_eq!(one, two);
    // Objective rows (y0 − yi, the prop_3 shape) too.
    let rows: Vec<Vec<Q>> = (1..5)
        .map(|i| (0..5).map(|j| Q::from_integer(BigInt::from(i64::from(j == 0) - i64::from(j == i)))).collect())
        .collect();
    let pool = |n| rayon::ThreadPoolBuilder::new().num_threads(n).build().unwrap();
    let a = pool(1).install(|| crown_objectives(&mlp, &input, &one, &rows).unwrap());
    let b = pool(2).install(|| crown_objectives(&mlp, &input, &one, &rows).unwrap());
    assert_eq!(a, b);
}

/// The binary64 pass on ACAS Xu (rows in chunks across threads, the dense product on layers of
/// 50): the same bits on one and two threads, its output box around every sampled exact output,
/// and around the dyadic pass's box.
#[test]
fn acas_binary64_crown_is_thread_independent_and_contains_sampled_outputs() {
    let (mlp, input) = acas();
    let pool = |n| rayon::ThreadPoolBuilder::new().num_threads(n).build().unwrap();
    let run = || relaxed_mlp_in(&mlp, &input, Some(64), Intermediate::Crown, Arith::F64).unwrap();
    let one = pool(1).install(run);
    let two = pool(2).install(run);
    assert_eq!(one, two);
    let rows: Vec<Vec<Q>> = (1..5)
        .map(|i| (0..5).map(|j| Q::from_integer(BigInt::from(i64::from(j == 0) - i64::from(j == i)))).collect())
        .collect();
    let a = pool(1).install(|| crown_objectives_in(&mlp, &input, &one, &rows, Arith::F64).unwrap());
    let b = pool(2).install(|| crown_objectives_in(&mlp, &input, &one, &rows, Arith::F64).unwrap());
    assert_eq!(a, b);
    let dyadic = crown_mlp(&mlp, &input, Some(64)).unwrap();
    for (f, d) in one.pre.last().unwrap().iter().zip(dyadic.pre.last().unwrap()) {
        assert!(f.lo <= d.lo && d.hi <= f.hi, "f64 {f:?} does not contain dyadic {d:?}");
    }
    let mut rng = StdRng::seed_from_u64(0xf64c_4044);
    let den = BigInt::from(1u64 << 40);
    (0..64)
        .map(|_| {
            input
                .iter()
                .map(|iv| &iv.lo + Q::new(BigInt::from(rng.random_range(0..=1u64 << 40)), den.clone()) * (&iv.hi - &iv.lo))
                .collect::<Vec<Q>>()
        })
        .collect::<Vec<_>>()
        .par_iter()
        .for_each(|x| {
            let y = mlp.eval_exact(x).unwrap();
            for (o, (iv, v)) in one.pre.last().unwrap().iter().zip(&y).enumerate() {
                assert!(iv.contains(v), "output {o}: {v} outside [{}, {}]", iv.lo, iv.hi);
            }
        });
}
