//! `torchlean eval PAYLOAD --input V,V,…`: the network of a payload at one input, exactly over ℚ
//! and in binary32 with the declared operation order, so a PyTorch float32 result can be compared
//! bit for bit (or within an ulp budget) against the same weights.
use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use crate::error::{Error, Result};
use crate::ir::{Op, Tensor};
use crate::num::Q;
use crate::num::binary32::F32;
use crate::num::rational::{parse_input, to_canonical};

/// Which semantics to evaluate in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Semantics {
    /// Exact rationals (fails on ops without a rational denotation, e.g. gelu).
    Exact,
    /// Binary32, round to nearest even, in the declared order (docs/ir.md).
    F32,
    /// Both.
    Both,
}

#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// A payload JSON (as written by `save_torchlean_json` or `import`).
    #[arg(value_name = "PAYLOAD")]
    pub payload: PathBuf,
    /// The input values, row-major, comma-separated: `0x…` binary32 bits or exact numbers (`-3/7`,
    /// `0.25`, `1e-3`), each of which must be a binary32 value exactly.
    #[arg(long, allow_hyphen_values = true)]
    pub input: String,
    #[arg(long, value_enum, default_value_t = Semantics::Both)]
    pub semantics: Semantics,
    /// Machine-readable output on stdout.
    #[arg(long)]
    pub json: bool,
}

/// One input value: exactly a binary32 (bits, or a number whose value is a binary32).
fn read_value(i: usize, s: &str) -> Result<F32> {
    let s = s.trim();
    if let Some(b) = F32::parse_hex(s) {
        return if b.is_finite() { Ok(b) } else { Err(Error::bad_input(format!("--input[{i}]: expected a finite binary32, found {s}"))) };
    }
    let q = parse_input(s).map_err(|e| Error::bad_input(format!("--input[{i}]: {}", e.message())))?;
    let r = F32::from_rational(&q);
    if !r.status.is_ok() {
        return Err(Error::bad_input(format!(
            "--input[{i}]: expected a value exactly representable in binary32, found {s} (nearest is {})",
            r.value.to_hex()
        )));
    }
    Ok(r.value)
}

pub fn run(args: &EvalArgs) -> Result<i32> {
    // read_network_file names the file in its errors.
    let graph = crate::artifact::payload::read_network_file(&args.payload)?;
    let shape = match graph.inputs().next().map(|n| &n.op) {
        Some(Op::Input { shape }) => shape.clone(),
        _ => return Err(Error::internal("lowered graph has no input node")),
    };
    let bits: Vec<F32> = args.input.split(',').enumerate().map(|(i, s)| read_value(i, s)).collect::<Result<_>>()?;
    let want: usize = shape.iter().product();
    if bits.len() != want {
        return Err(Error::bad_input(format!("--input: expected {want} values (shape {shape:?}), found {}", bits.len())));
    }
    let x: Vec<Q> = bits.iter().map(|b| b.to_rational().expect("finite")).collect();
    let exact = match args.semantics {
        Semantics::Exact => Some(graph.eval_exact(&[Tensor::new(shape.clone(), x)?])?),
        // With both, a graph that leaves ℚ (softmax, gelu, …) still gets its binary32 value; the
        // reason the exact one is missing is printed instead of failing the whole command.
        Semantics::Both => match graph.eval_exact(&[Tensor::new(shape.clone(), x)?]) {
            Ok(v) => Some(v),
            Err(e) => {
                eprintln!("exact: not available: {e}");
                None
            }
        },
        Semantics::F32 => None,
    };
    let f32 = match args.semantics {
        Semantics::F32 | Semantics::Both => Some(graph.eval_f32(&[Tensor::new(shape, bits)?])?),
        Semantics::Exact => None,
    };
    let exact_out: Option<Vec<String>> = exact.map(|o| o.iter().flat_map(|t| t.data().iter().map(to_canonical)).collect());
    let f32_out: Option<Vec<String>> = f32.as_ref().map(|o| o.value.iter().flat_map(|t| t.data().iter().map(|b| b.to_hex())).collect());
    if args.json {
        println!(
            "{}",
            json!({"exact": exact_out, "f32": f32_out, "f32_flags": f32.as_ref().map(|o| o.status.to_string())})
        );
        return Ok(0);
    }
    let n = exact_out.as_ref().or(f32_out.as_ref()).map_or(0, Vec::len);
    println!("{:<6} {:<12} {:<16} exact", "output", "f32 bits", "f32 value");
    for i in 0..n {
        let (bits, dec) = match &f32_out {
            Some(v) => (v[i].clone(), F32::parse_hex(&v[i]).and_then(|b| b.to_f64().value.is_finite().then(|| format!("{:e}", b.to_f64().value))).unwrap_or_default()),
            None => (String::from("-"), String::from("-")),
        };
        let ex = exact_out.as_ref().map_or(String::from("-"), |v| v[i].clone());
        println!("{i:<6} {bits:<12} {dec:<16} {ex}");
    }
    if let Some(o) = &f32 {
        println!("f32 flags: {}", o.status);
    }
    Ok(0)
}
