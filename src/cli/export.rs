//! `torchlean export`: a Python package (model.py, torchlean_io.py, train.py, README.md) for a
//! family spec, written atomically into a new directory.

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::model::cnn::CnnSpec;
use crate::model::transformer::{AttentionMask, TransformerSpec};
use crate::model::{Act, Family, MlpSpec, pytorch};
use crate::num::rational;

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// The model family: mlp, cnn (`--cnn-input`, `--cnn-layers`) or transformer.
    #[arg(long, value_parser = ["mlp", "cnn", "transformer"])]
    pub family: String,
    /// mlp: the widths `in,h1,…,out`.
    #[arg(long, default_value = "10,32,5")]
    pub dims: String,
    /// mlp: one activation for every hidden layer (the last is identity) or one per layer,
    /// comma-separated, from relu, gelu, tanh, sigmoid, identity; transformer: relu or gelu.
    #[arg(long, default_value = "relu")]
    pub act: String,
    /// transformer: model width.
    #[arg(long, default_value_t = 8)]
    pub d_model: usize,
    /// transformer: attention heads (must divide d_model).
    #[arg(long, default_value_t = 2)]
    pub heads: usize,
    /// transformer: feed-forward hidden width.
    #[arg(long, default_value_t = 16)]
    pub ffn: usize,
    /// transformer: encoder layers.
    #[arg(long, default_value_t = 1)]
    pub layers: usize,
    /// transformer: layer-norm epsilon, a canonical rational.
    #[arg(long, default_value = "1/100000")]
    pub eps: String,
    /// transformer: attention mask applied in forward.
    #[arg(long, default_value = "none", value_parser = ["none", "causal"])]
    pub mask: String,
    /// transformer: sequence length of an input.
    #[arg(long, default_value_t = 4)]
    pub seq_len: usize,
    /// cnn: the input shape C,H,W.
    #[arg(long, default_value = "1,8,8")]
    pub cnn_input: String,
    /// cnn: the layers, e.g. `conv:4:3:1:0,relu,avgpool:2:2,flatten,linear:10`:
    /// `conv:OUT:K[:S[:P]]`, `relu`, `maxpool:K[:S]`, `avgpool:K[:S]`, `flatten`, `linear:OUT`
    /// (channels and features follow from the shapes). Default: the 1×8×8 net of
    /// `docs/families.md` (two conv/relu/maxpool stages, then linear to 2).
    #[arg(long)]
    pub cnn_layers: Option<String>,
    /// The directory to create (must not exist or be empty).
    #[arg(long)]
    pub out: PathBuf,
}

/// The family the flags describe.
pub fn family(args: &ExportArgs) -> Result<Family> {
    match args.family.as_str() {
        "mlp" => {
            let widths = args
                .dims
                .split(',')
                .map(|d| {
                    d.trim().parse::<usize>().map_err(|_| {
                        Error::bad_input(format!("--dims: expected sizes like 10,32,5, found \"{}\"", args.dims))
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let acts = parse_acts(&args.act)?;
            let n = widths.len().saturating_sub(1);
            let acts = if acts.len() == 1 && n != 1 {
                (0..n).map(|i| if i + 1 == n { Act::Identity } else { acts[0] }).collect()
            } else {
                acts
            };
            Ok(Family::Mlp(MlpSpec::new(widths, acts).map_err(|e| e.context("--dims/--act"))?))
        }
        "cnn" => Ok(Family::Cnn(match &args.cnn_layers {
            Some(l) => CnnSpec::parse(&args.cnn_input, l).map_err(|e| e.context("--cnn-input/--cnn-layers"))?,
            None => CnnSpec::default_spec(),
        })),
        _ => {
            let act = parse_acts(&args.act)?;
            let s = TransformerSpec {
                d_model: args.d_model,
                heads: args.heads,
                ffn: args.ffn,
                layers: args.layers,
                eps: rational::parse_canonical(&args.eps).map_err(|e| e.context("--eps"))?,
                activation: act[0],
                mask: if args.mask == "causal" { AttentionMask::Causal } else { AttentionMask::None },
                seq_len: args.seq_len,
            };
            s.check()?;
            Ok(Family::Transformer(s))
        }
    }
}

fn parse_acts(s: &str) -> Result<Vec<Act>> {
    s.split(',')
        .map(|a| {
            Act::from_name(a.trim()).ok_or_else(|| {
                Error::bad_input(format!("--act: expected relu, gelu, tanh, sigmoid or identity, found \"{a}\""))
            })
        })
        .collect()
}

/// The files of the package, `(name, text)`.
pub fn files(f: &Family, export_cmd: &str) -> Vec<(&'static str, String)> {
    vec![
        ("README.md", pytorch::readme(f, export_cmd)),
        ("model.py", pytorch::model_py(f)),
        ("torchlean_io.py", pytorch::io_py(f)),
        ("train.py", pytorch::train_py()),
    ]
}


pub fn run(args: &ExportArgs) -> Result<i32> {
    let f = family(args)?;
    let cmd = match &f {
        Family::Mlp(_) => format!("torchlean export --family mlp --dims {} --act {} --out DIR", args.dims, args.act),
        Family::Cnn(_) if args.cnn_layers.is_some() => format!(
            "torchlean export --family cnn --cnn-input {} --cnn-layers {} --out DIR",
            args.cnn_input,
            args.cnn_layers.as_deref().unwrap_or_default()
        ),
        _ => format!("torchlean export --family {} --out DIR", f.tag()),
    };
    crate::artifact::store::write_dir_atomic(&args.out, |dir| {
        for (name, text) in files(&f, &cmd) {
            crate::artifact::store::write_atomic(&dir.join(name), text.as_bytes())?;
        }
        Ok(())
    })?;
    for (name, _) in files(&f, &cmd) {
        println!("{}", args.out.join(name).display());
    }
    Ok(0)
}
