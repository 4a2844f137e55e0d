//! `torchlean bounds --model M (--input-box B | --property P) [--method ibp|crown|ibp-f32]`: sound output
//! bounds of a dense ReLU network over an input box, in exact rationals, with the wall time of the
//! bound computation. With a VNN-LIB property the box is the property's, and every linear row
//! `c·y` of the property's violation disjuncts is bounded too, so a user sees how far each one is
//! from being refuted (a row `c·y ≤ rhs` is refuted when its lower bound exceeds `rhs`).
use crate::ir::Graph;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use num_traits::ToPrimitive;
use serde_json::json;

use crate::bounds::crown::{Arith, Intermediate, crown_objectives_in, relaxed_mlp_in};
use crate::bounds::ibp::{ibp_act, ibp_mlp_rounded};
use crate::num::interval::{Box, Interval, parse_box};
use crate::error::{Error, Result};
use crate::bounds::dense::Dense;
use crate::num::Q;
use crate::num::rational::to_canonical;
use crate::property::vnnlib::{LinearConstraint, parse_vnnlib};

/// Which bound propagation to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    /// Interval bound propagation (fast, loose).
    Ibp,
    /// CROWN backward linear relaxation, intersected with IBP layer by layer.
    Crown,
    /// IBP enclosing the declared-order binary32 execution (binary32 inputs in the box, every
    /// operation rounded down / up): bounds what the network computes in float32, not over ℚ.
    IbpF32,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Method::Ibp => "ibp",
            Method::Crown => "crown",
            Method::IbpF32 => "ibp-f32",
        }
    }
}

/// `--backward-arith`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackwardArith {
    Dyadic,
    F64,
}

impl From<BackwardArith> for Arith {
    fn from(a: BackwardArith) -> Arith {
        match a {
            BackwardArith::Dyadic => Arith::Dyadic,
            BackwardArith::F64 => Arith::F64,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct BoundsArgs {
    /// The network: a `.nnet` file (weights rounded once to binary32) or a payload JSON of family
    /// `mlp` with relu/identity activations.
    #[arg(long)]
    pub model: PathBuf,
    /// The input box as `lo:hi,lo:hi,…` with exact numbers (`-1/2:1,0:0.25`).
    #[arg(long, allow_hyphen_values = true)]
    pub input_box: Option<String>,
    /// A VNN-LIB property: its input box is used, and each linear row of its disjuncts is bounded.
    #[arg(long)]
    pub property: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Method::Crown)]
    pub method: Method,
    /// Intermediate boxes are widened outward to dyadics of this many significant bits (sound, keeps
    /// numbers short); 0 computes without rounding (exact but slow on deep networks).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(0..=crate::limits::MAX_ROUND_BITS as i64))]
    pub round_bits: u32,
    /// The arithmetic of CROWN's backward passes: `dyadic` (integers, within about 2⁻⁶⁰ of exact) or
    /// `f64` (binary64 with every rounding error bounded and charged outward: sound, looser by about
    /// n·2⁻⁵³ relative, much faster on wide layers). Needs --round-bits > 0.
    #[arg(long, value_enum, default_value_t = BackwardArith::Dyadic)]
    pub backward_arith: BackwardArith,
    /// Computes the bounds this many times in this process and reports the median time (the
    /// first call pays for cold caches and fresh memory; a library caller's later calls do not).
    /// The bounds are the same every time.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub repeat: u32,
    /// Machine-readable output on stdout (canonical rational strings).
    #[arg(long)]
    pub json: bool,
}

/// One bounded row `c·y` of a property disjunct.
struct Objective {
    disjunct: usize,
    row: usize,
    constraint: LinearConstraint,
    bounds: Interval,
}

impl Objective {
    /// Whether the bounds show no output in the box satisfies `c·y ≤ rhs` (`<` when strict).
    fn refuted(&self) -> bool {
        if self.constraint.strict {
            self.bounds.lo >= self.constraint.rhs
        } else {
            self.bounds.lo > self.constraint.rhs
        }
    }
}


/// The network of a `.nnet` file or a payload, and its dense view when it has one (the dense
/// engines serve every method; other graphs take the graph IBP).
fn read_model(path: &Path, method: Method) -> Result<(crate::ir::Graph, Option<Dense>)> {
    let graph = crate::artifact::payload::read_network_file(path)?;
    // IBP through a max pool's ReLU layers loses the comparisons' correlation; the graph IBP's
    // max of the window's bounds is the tight box.
    if method == Method::Ibp && graph.nodes().iter().any(|n| matches!(n.op, crate::ir::Op::MaxPool2d(_))) {
        return Ok((graph, None));
    }
    match Dense::of(&graph) {
        Ok(d) => Ok((graph, Some(d))),
        // Graphs without a dense view (residual connections, attention, smooth activations) take
        // the graph engines: IBP, or CROWN with IBP boxes for the ops it has no lines for.
        Err(_) if matches!(method, Method::Ibp | Method::Crown) => Ok((graph, None)),
        Err(e) => Err(e.context(path.display().to_string())),
    }
}

/// The element count of each of a graph's inputs and outputs (`[in, …, out]` for the table).
fn graph_widths(graph: &crate::ir::Graph) -> Result<Vec<usize>> {
    let ins = graph.input_shapes();
    let outs = graph.output_shapes();
    if ins.len() != 1 || outs.len() != 1 {
        return Err(Error::bad_input(format!(
            "bounds: expected a network with one input and one output, found {} and {}",
            ins.len(),
            outs.len()
        )));
    }
    Ok(vec![ins[0].iter().product(), outs[0].iter().product()])
}

/// A short decimal approximation for the table (the exact value is printed beside it).
fn approx(q: &Q) -> String {
    match q.to_f64() {
        Some(x) if x == 0.0 || (1e-4..1e6).contains(&x.abs()) => format!("{x:.9}"),
        Some(x) => format!("{x:.6e}"),
        None => String::from("-"),
    }
}

/// `2·Y_0 - Y_3 <= 0` for the table.
fn constraint_text(c: &LinearConstraint) -> String {
    let terms: Vec<String> = c
        .coeffs
        .iter()
        .enumerate()
        .filter(|(_, k)| **k != Q::from_integer(0.into()))
        .map(|(j, k)| {
            if *k == Q::from_integer(1.into()) {
                format!("Y_{j}")
            } else if *k == Q::from_integer((-1).into()) {
                format!("-Y_{j}")
            } else {
                format!("{}*Y_{j}", to_canonical(k))
            }
        })
        .collect();
    let lhs = if terms.is_empty() { String::from("0") } else { terms.join(" + ").replace("+ -", "- ") };
    format!("{lhs} {} {}", if c.strict { "<" } else { "<=" }, to_canonical(&c.rhs))
}

pub fn run(args: &BoundsArgs) -> Result<i32> {
    let property = match (&args.input_box, &args.property) {
        (None, None) => return Err(Error::bad_input("expected --input-box or --property, found neither")),
        (Some(_), Some(_)) => return Err(Error::bad_input("expected --input-box or --property, found both")),
        (None, Some(p)) => {
            let text = std::fs::read_to_string(p).map_err(|e| Error::io("cannot read", p, e))?;
            Some(parse_vnnlib(&text, &p.display().to_string())?)
        }
        (Some(_), None) => None,
    };
    let input = match (&args.input_box, &property) {
        (Some(b), _) => parse_box(b).map_err(|e| e.context("--input-box"))?,
        (None, Some(p)) => p.input_box.clone(),
        (None, None) => unreachable!("checked above"),
    };
    let (graph, dense) = read_model(&args.model, args.method)?;
    let widths = match &dense {
        Some(d) => d.widths()?,
        None => graph_widths(&graph)?,
    };
    let (n_in, n_out) = (widths[0], widths[widths.len() - 1]);
    if input.len() != n_in {
        return Err(Error::bad_input(format!(
            "input box: expected {n_in} coordinates (the network's inputs), found {}",
            input.len()
        )));
    }
    if let Some(p) = &property
        && p.num_outputs != n_out
    {
        return Err(Error::bad_input(format!(
            "property: expected {n_out} outputs Y_j (the network's), found {}",
            p.num_outputs
        )));
    }
    let bits = (args.round_bits > 0).then_some(args.round_bits);
    let arith = Arith::from(args.backward_arith);
    if arith == Arith::F64 && bits.is_none() {
        return Err(Error::bad_input("--backward-arith f64: expected --round-bits > 0 (binary64 lines are dyadic), found 0"));
    }
    let rows: Vec<(usize, usize, &LinearConstraint)> = property
        .iter()
        .flat_map(|p| p.violation.iter().enumerate())
        .flat_map(|(d, conj)| conj.iter().enumerate().map(move |(r, c)| (d, r, c)))
        .collect();

    let mut times = Vec::with_capacity(args.repeat as usize);
    let mut result = None;
    for _ in 0..args.repeat {
        let start = Instant::now();
        result = Some(compute(args.method, dense.as_ref(), &graph, &input, bits, arith, &rows)?);
        times.push(start.elapsed().as_secs_f64());
    }
    let (output, row_bounds) = result.expect("--repeat is at least 1");
    let first = times[0];
    times.sort_by(f64::total_cmp);
    let seconds = times[times.len() / 2];
    let objectives: Vec<Objective> = rows
        .iter()
        .zip(row_bounds)
        .map(|(&(disjunct, row, c), bounds)| Objective { disjunct, row, constraint: c.clone(), bounds })
        .collect();

    if args.json {
        let outputs: Vec<[String; 2]> = output.iter().map(Interval::to_strings).collect();
        let objs: Vec<serde_json::Value> = objectives
            .iter()
            .map(|o| {
                json!({
                    "disjunct": o.disjunct,
                    "row": o.row,
                    "coeffs": o.constraint.coeffs.iter().map(to_canonical).collect::<Vec<_>>(),
                    "rhs": to_canonical(&o.constraint.rhs),
                    "strict": o.constraint.strict,
                    "bounds": o.bounds.to_strings(),
                    "refuted": o.refuted(),
                })
            })
            .collect();
        println!(
            "{}",
            json!({"method": args.method.name(), "backward_arith": arith.name(), "seconds": seconds, "seconds_first": first, "repeat": args.repeat, "outputs": outputs, "objectives": objs})
        );
        return Ok(0);
    }
    let how = match (&dense, bits) {
        (None, _) => String::from("through the graph: exact, node boxes rounded outward to 64 bits"),
        (Some(_), None) => String::from("exact, no rounding"),
        (Some(_), Some(b)) => format!("boxes rounded outward to {b} bits"),
    };
    println!("method       {} ({how})", args.method.name());
    if args.method == Method::Crown && dense.is_some() {
        println!("backward     {}", arith.name());
    }
    println!("network      {}", widths.iter().map(usize::to_string).collect::<Vec<_>>().join("-"));
    println!("\n{:<6} {:>16} {:>16}  exact", "output", "lo ≈", "hi ≈");
    for (j, i) in output.iter().enumerate() {
        let [lo, hi] = i.to_strings();
        println!("Y_{j:<4} {:>16} {:>16}  [{lo}, {hi}]", approx(&i.lo), approx(&i.hi));
    }
    if !objectives.is_empty() {
        println!(
            "\n{:<8} {:<28} {:>16} {:>16}  {:<8} exact",
            "row", "constraint (violation)", "lo ≈", "hi ≈", "status"
        );
        for o in &objectives {
            let [lo, hi] = o.bounds.to_strings();
            let status = if o.refuted() { "refuted" } else { "open" };
            let row = format!("{}.{}", o.disjunct, o.row);
            println!(
                "{row:<8} {:<28} {:>16} {:>16}  {status:<8} [{lo}, {hi}]",
                constraint_text(&o.constraint),
                approx(&o.bounds.lo),
                approx(&o.bounds.hi)
            );
        }
        let disjuncts = property.as_ref().map_or(0, |p| p.violation.len());
        let refuted = (0..disjuncts).filter(|d| objectives.iter().any(|o| o.disjunct == *d && o.refuted())).count();
        println!(
            "disjuncts refuted by these bounds: {refuted} of {disjuncts} (a disjunct is refuted when one of its rows is)"
        );
    }
    if args.repeat > 1 {
        println!("time         {seconds:.6} s (median of {}; the first {first:.6} s)", args.repeat);
    } else {
        println!("time         {seconds:.3} s");
    }
    Ok(0)
}

/// One computation of the output box and the rows' bounds.
fn compute(
    method: Method,
    dense: Option<&Dense>,
    graph: &Graph,
    input: &Box,
    bits: Option<u32>,
    arith: Arith,
    rows: &[(usize, usize, &LinearConstraint)],
) -> Result<(Box, Vec<Interval>)> {
    let row_bounds = |out: &Box| rows.iter().map(|(_, _, c)| crate::num::interval::dot(&c.coeffs, out)).collect();
    Ok(match (method, dense) {
        (Method::Ibp, Some(mlp)) => {
            let out = ibp_mlp_rounded(mlp, input, bits)?.last().expect("ibp returns the input box first").clone();
            let rb = row_bounds(&out);
            (out, rb)
        }
        (Method::Ibp, None) => {
            let out = crate::bounds::graph_ibp::ibp_graph(graph, std::slice::from_ref(input))?.remove(0);
            let rb = row_bounds(&out);
            (out, rb)
        }
        (Method::IbpF32, mlp) => {
            let mlp = mlp.expect("read_model gives a dense view for ibp-f32");
            let boxes = crate::bounds::ibp_f32::ibp_f32_mlp(mlp, input)?;
            let out = boxes.last().expect("ibp returns the input box first").clone();
            let rb = row_bounds(&out);
            (out, rb)
        }
        (Method::Crown, None) => {
            let cs: Vec<Vec<Q>> = rows.iter().map(|(_, _, c)| c.coeffs.clone()).collect();
            crate::bounds::graph_crown::crown_graph(graph, input, &cs)?
        }
        (Method::Crown, Some(mlp)) => {
            let crown = relaxed_mlp_in(mlp, input, bits, Intermediate::Crown, arith)?;
            let last = mlp.layers.last().expect("widths checked").act;
            let out: Box = crown.pre.last().expect("one box per layer").iter().map(|i| ibp_act(last, i)).collect();
            let rb = if rows.is_empty() {
                Vec::new()
            } else {
                let cs: Vec<Vec<Q>> = rows.iter().map(|(_, _, c)| c.coeffs.clone()).collect();
                crown_objectives_in(mlp, input, &crown, &cs, arith)?
            };
            (out, rb)
        }
    })
}
