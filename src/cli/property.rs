//! `torchlean property linf|output-box … --out FILE`: writes a canonical property artifact that
//! `verify --property FILE` decides (as the violation DNF of `property::robust`).
use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::num::interval::parse_box;
use crate::artifact::property::{Property, output_box_json};
use crate::artifact::store::write_new_artifact;
use crate::error::{Error, Result};
use crate::num::rational::parse_input;
use crate::property::robust::LinfRobust;

#[derive(Debug, Clone, Args)]
pub struct PropertyArgs {
    #[command(subcommand)]
    pub kind: PropertyKind,
    /// Machine-readable summary on stdout.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Clone, Subcommand)]
pub enum PropertyKind {
    /// L∞ robustness: every input within `epsilon` of `center` (each coordinate) gives output
    /// `label` a value strictly above every other output.
    Linf {
        /// The center point, comma-separated exact numbers (`0.5,-1/3,2e-2`).
        #[arg(long, allow_hyphen_values = true)]
        center: String,
        /// The radius (exact, ≥ 0).
        #[arg(long)]
        epsilon: String,
        /// The output that must win.
        #[arg(long)]
        label: usize,
        /// How many outputs the network has.
        #[arg(long)]
        outputs: usize,
        /// The property artifact to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Output box: every input of `input-box` maps into `output-box`.
    OutputBox {
        /// Input box as `lo:hi,lo:hi` with exact numbers.
        #[arg(long, allow_hyphen_values = true)]
        input_box: String,
        /// Allowed outputs as `lo:hi,lo:hi`.
        #[arg(long, allow_hyphen_values = true)]
        output_box: String,
        /// The property artifact to write.
        #[arg(long)]
        out: PathBuf,
    },
}

fn numbers(key: &str, s: &str) -> Result<Vec<crate::num::Q>> {
    s.split(',').enumerate().map(|(i, x)| parse_input(x).map_err(|e| e.context(format!("--{key}[{i}]")))).collect()
}

pub fn run(args: &PropertyArgs) -> Result<i32> {
    let (value, out): (Value, &PathBuf) = match &args.kind {
        PropertyKind::Linf { center, epsilon, label, outputs, out } => {
            let epsilon = parse_input(epsilon).map_err(|e| e.context("--epsilon"))?;
            let p = LinfRobust::new(numbers("center", center)?, epsilon, *label, *outputs)
                .map_err(|e| Error::bad_input(format!("--{}", e.message())))?;
            (crate::artifact::property::robust_json(&p), out)
        }
        PropertyKind::OutputBox { input_box, output_box, out } => {
            let p = Property {
                input_box: parse_box(input_box).map_err(|e| e.context("--input-box"))?,
                output_box: parse_box(output_box).map_err(|e| e.context("--output-box"))?,
            };
            (output_box_json(&p), out)
        }
    };
    let w = write_new_artifact(out, "property", &value)?;
    if args.json {
        println!("{}", json!({"path": w.path.display().to_string(), "kind": w.kind, "sha256": w.sha256}));
    } else {
        println!("{:<10} {} {}", w.kind, w.sha256, w.path.display());
    }
    Ok(0)
}
