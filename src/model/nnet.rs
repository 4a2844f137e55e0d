//! Reader for the `.nnet` format (Julian et al., used by ACAS Xu): a dense ReLU network with
//! decimal weights. Each decimal is read exactly and rounded once to binary32 (nearest-even), so the
//! resulting payload is what a float32 framework would load. The normalisation header is kept but
//! not applied: benchmark properties are stated over the normalised inputs.
use crate::error::{Error, Result};
use crate::model::{Activation, DenseLayer, Mlp};
use crate::num::Q;
use crate::num::binary32::F32;
use crate::num::rational::parse_exact;

/// A parsed `.nnet` file.
#[derive(Debug, Clone)]
pub struct Nnet {
    /// Hidden layers use ReLU, the output layer is linear.
    pub mlp: Mlp,
    pub input_mins: Vec<Q>,
    pub input_maxes: Vec<Q>,
    /// Input means then the output mean (one more than the inputs).
    pub means: Vec<Q>,
    /// Input ranges then the output range.
    pub ranges: Vec<Q>,
}

/// Data lines with their 1-based line numbers (comments `//` and blank lines dropped).
struct Lines<'a> {
    file: &'a str,
    lines: Vec<(usize, &'a str)>,
    pos: usize,
}

impl<'a> Lines<'a> {
    fn next_values(&mut self, what: &str, expected: usize) -> Result<Vec<Q>> {
        let &(n, line) = self.lines.get(self.pos).ok_or_else(|| {
            Error::bad_input(format!("{}: end of file: expected {what} ({expected} values)", self.file))
        })?;
        self.pos += 1;
        let vals: Vec<&str> = line.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
        if vals.len() != expected {
            return Err(Error::bad_input(format!(
                "{}:{n}: {what}: expected {expected} values, found {}",
                self.file,
                vals.len()
            )));
        }
        vals.iter()
            .map(|v| parse_exact(v).map_err(|e| Error::bad_input(format!("{}:{n}: {what}: {}", self.file, e.message()))))
            .collect()
    }
    fn next_sizes(&mut self, what: &str, expected: usize) -> Result<Vec<usize>> {
        let n = self.lines.get(self.pos).map_or(0, |l| l.0);
        self.next_values(what, expected)?
            .into_iter()
            .map(|q| {
                if q.is_integer() && q >= Q::from_integer(0.into()) {
                    q.to_integer().try_into().map_err(|_| Error::bad_input(format!("{}:{n}: {what}: size too large", self.file)))
                } else {
                    Err(Error::bad_input(format!("{}:{n}: {what}: expected a non-negative integer, found {q}", self.file)))
                }
            })
            .collect()
    }
}

fn to_f32(q: &Q) -> F32 {
    F32::from_rational(q).value
}

/// Parses `.nnet` text; `file` names the source in errors (`file:line: what: expected …, found …`).
pub fn parse_nnet(text: &str, file: &str) -> Result<Nnet> {
    let lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with("//"))
        .collect();
    let mut r = Lines { file, lines, pos: 0 };
    let head = r.next_sizes("header (layers, inputs, outputs, max layer size)", 4)?;
    let (num_layers, inputs, outputs) = (head[0], head[1], head[2]);
    if num_layers == 0 {
        return Err(Error::bad_input(format!("{file}: header: expected at least one layer, found 0")));
    }
    let sizes = r.next_sizes("layer sizes", num_layers + 1)?;
    if sizes[0] != inputs || sizes[num_layers] != outputs {
        return Err(Error::bad_input(format!(
            "{file}: layer sizes: expected to start with {inputs} and end with {outputs}, found {sizes:?}"
        )));
    }
    r.next_values("symmetric flag", 1)?;
    let input_mins = r.next_values("input minimums", inputs)?;
    let input_maxes = r.next_values("input maximums", inputs)?;
    let means = r.next_values("means", inputs + 1)?;
    let ranges = r.next_values("ranges", inputs + 1)?;
    let mut layers = Vec::with_capacity(num_layers);
    for k in 0..num_layers {
        let (cols, rows) = (sizes[k], sizes[k + 1]);
        let mut weight = Vec::with_capacity(rows);
        for i in 0..rows {
            let row = r.next_values(&format!("layer {k} weight row {i}"), cols)?;
            weight.push(row.iter().map(to_f32).collect());
        }
        let mut bias = Vec::with_capacity(rows);
        for i in 0..rows {
            bias.push(to_f32(&r.next_values(&format!("layer {k} bias {i}"), 1)?[0]));
        }
        let act = if k + 1 == num_layers { Activation::Identity } else { Activation::Relu };
        layers.push(DenseLayer { weight, bias, act });
    }
    if let Some(&(n, _)) = r.lines.get(r.pos) {
        return Err(Error::bad_input(format!("{file}:{n}: expected end of file after the last layer, found more data")));
    }
    Ok(Nnet { mlp: Mlp { layers }, input_mins, input_maxes, means, ranges })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: &str = "// comment\n2,2,1,3,\n2,3,1,\n0,\n-1,-1,\n1,1,\n0,0,0,\n1,1,1,\n\
        0.1,-0.2,\n0.3,0.4,\n0.5,0.6,\n0.0,\n1e-1,\n-1,\n1,2,3,\n0.25,\n";

    #[test]
    fn tiny_network_rounds_decimals_once_to_binary32() {
        let n = parse_nnet(TINY, "tiny.nnet").unwrap();
        assert_eq!(n.mlp.widths().unwrap(), vec![2, 3, 1]);
        let l0 = &n.mlp.layers[0];
        assert_eq!(l0.weight[0], vec![F32(0x3dcccccd), F32(0xbe4ccccd)]);
        assert_eq!(l0.bias, vec![F32(0), F32(0x3dcccccd), F32(0xbf800000)]);
        assert_eq!(l0.act, Activation::Relu);
        assert_eq!(n.mlp.layers[1].act, Activation::Identity);
        assert_eq!(n.mlp.layers[1].bias, vec![F32(0x3e800000)]);
    }

    #[test]
    fn errors_name_file_line_and_counts() {
        let bad = TINY.replace("0.3,0.4,", "0.3,");
        assert_eq!(parse_nnet(&bad, "t.nnet").unwrap_err().to_string(), "t.nnet:10: layer 0 weight row 1: expected 2 values, found 1");
        let extra = format!("{TINY}7,\n");
        assert_eq!(parse_nnet(&extra, "t.nnet").unwrap_err().to_string(), "t.nnet:17: expected end of file after the last layer, found more data");
        let word = TINY.replace("0.5,0.6,", "0.5,x,");
        assert!(parse_nnet(&word, "t.nnet").unwrap_err().to_string().starts_with("t.nnet:11: layer 0 weight row 2: expected an exact number"));
    }

    #[test]
    fn acas_xu_1_1_has_the_expected_shape() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/benchmarks/acasxu/ACASXU_run2a_1_1_batch_2000.nnet");
        let text = std::fs::read_to_string(path).expect("../shared/benchmarks sits beside the repository");
        let n = parse_nnet(&text, "1_1.nnet").unwrap();
        assert_eq!(n.mlp.widths().unwrap(), vec![5, 50, 50, 50, 50, 50, 50, 5]);
        // First weight of the file, 5.40062e-02, rounded once to binary32.
        assert_eq!(n.mlp.layers[0].weight[0][0], F32::from_rational(&parse_exact("5.40062e-02").unwrap()).value);
        assert_eq!(n.mlp.layers[0].weight[0][0], F32(0x3d5d359b));
    }
}
