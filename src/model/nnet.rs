//! Reader for the `.nnet` format (Julian et al., used by ACAS Xu): a dense ReLU network with
//! decimal weights. Each decimal is read exactly and rounded once to binary32 (nearest-even), so the
//! resulting payload is what a float32 framework would load. The normalisation header is read
//! (its counts are checked) but not applied: benchmark properties are stated over the normalised
//! inputs.
use crate::error::{Error, Result};
use crate::limits::{MAX_LAYERS, MAX_NUMBER_CHARS, MAX_TENSOR_ELEMENTS, MAX_WIDTH};
use crate::ir::{Graph, Tensor};
use crate::num::Q;
use crate::num::binary32::F32;
use crate::num::rational::parse_input;

use super::{Act, Family, MlpSpec, Model};

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
        if let Some(v) = vals.iter().find(|v| v.len() > MAX_NUMBER_CHARS) {
            return Err(Error::bad_input(format!(
                "{}:{n}: {what}: expected a number of at most {MAX_NUMBER_CHARS} characters, found one of {}",
                self.file,
                v.len()
            )));
        }
        vals.iter()
            .map(|v| parse_input(v).map_err(|e| Error::bad_input(format!("{}:{n}: {what}: {}", self.file, e.message()))))
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

/// Parses `.nnet` text into its network (hidden layers ReLU, the output layer linear: the graph of
/// an `mlp` model); `file` names the source in errors (`file:line: what: expected …, found …`).
pub fn parse_nnet(text: &str, file: &str) -> Result<Graph> {
    super::lower(&parse_nnet_model(text, file)?)
}

/// As [`parse_nnet`], the `mlp` model itself.
pub fn parse_nnet_model(text: &str, file: &str) -> Result<Model> {
    let lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with("//"))
        .collect();
    let mut r = Lines { file, lines, pos: 0 };
    let head = r.next_sizes("header (layers, inputs, outputs, max layer size)", 4)?;
    let (num_layers, inputs, outputs) = (head[0], head[1], head[2]);
    if num_layers == 0 || num_layers > MAX_LAYERS {
        return Err(Error::bad_input(format!(
            "{file}: header: expected between 1 and {MAX_LAYERS} layers, found {num_layers}"
        )));
    }
    let sizes = r.next_sizes("layer sizes", num_layers + 1)?;
    if let Some((k, w)) = sizes.iter().enumerate().find(|(_, w)| **w == 0 || **w > MAX_WIDTH) {
        return Err(Error::bad_input(format!("{file}: layer sizes: size {k}: expected between 1 and {MAX_WIDTH}, found {w}")));
    }
    if let Some(k) = (0..num_layers).find(|k| sizes[*k] * sizes[k + 1] > MAX_TENSOR_ELEMENTS) {
        return Err(Error::bad_input(format!(
            "{file}: layer sizes: layer {k}: expected at most {MAX_TENSOR_ELEMENTS} weights, found {} × {}",
            sizes[k + 1],
            sizes[k]
        )));
    }
    if sizes[0] != inputs || sizes[num_layers] != outputs {
        return Err(Error::bad_input(format!(
            "{file}: layer sizes: expected to start with {inputs} and end with {outputs}, found {sizes:?}"
        )));
    }
    r.next_values("symmetric flag", 1)?;
    r.next_values("input minimums", inputs)?;
    r.next_values("input maximums", inputs)?;
    r.next_values("means", inputs + 1)?;
    r.next_values("ranges", inputs + 1)?;
    let mut tensors = Vec::with_capacity(2 * num_layers);
    for k in 0..num_layers {
        let (cols, rows) = (sizes[k], sizes[k + 1]);
        let mut weight = Vec::with_capacity(rows * cols);
        for i in 0..rows {
            let row = r.next_values(&format!("layer {k} weight row {i}"), cols)?;
            weight.extend(row.iter().map(to_f32));
        }
        let mut bias = Vec::with_capacity(rows);
        for i in 0..rows {
            bias.push(to_f32(&r.next_values(&format!("layer {k} bias {i}"), 1)?[0]));
        }
        tensors.push((format!("layers.{k}.weight"), Tensor::new(vec![rows, cols], weight)?));
        tensors.push((format!("layers.{k}.bias"), Tensor::vector(bias)));
    }
    if let Some(&(n, _)) = r.lines.get(r.pos) {
        return Err(Error::bad_input(format!("{file}:{n}: expected end of file after the last layer, found more data")));
    }
    // Writers end every value with ','; a last line without it was cut inside its number, which
    // would otherwise read as a different, shorter value.
    if let (Some(&(_, first)), Some(&(n, last))) = (r.lines.first(), r.lines.last())
        && first.ends_with(',')
        && !last.ends_with(',')
    {
        return Err(Error::bad_input(format!(
            "{file}:{n}: expected the last value to end with ',' as every line before it does, found \"{}\" (the file looks truncated)",
            last.rsplit(',').next().unwrap_or(last)
        )));
    }
    let acts = (0..num_layers).map(|k| if k + 1 == num_layers { Act::Identity } else { Act::Relu }).collect();
    let spec = MlpSpec::new(sizes, acts).map_err(|e| e.context(format!("{file}: layer sizes")))?;
    Model::new(Family::Mlp(spec), tensors).map_err(|e| e.context(file.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::rational::parse_exact;

    const TINY: &str = "// comment\n2,2,1,3,\n2,3,1,\n0,\n-1,-1,\n1,1,\n0,0,0,\n1,1,1,\n\
        0.1,-0.2,\n0.3,0.4,\n0.5,0.6,\n0.0,\n1e-1,\n-1,\n1,2,3,\n0.25,\n";

    fn bits(m: &Model, name: &str) -> Vec<F32> {
        m.tensors().iter().find(|(n, _)| n == name).unwrap().1.data().to_vec()
    }

    #[test]
    fn tiny_network_rounds_decimals_once_to_binary32() {
        let m = parse_nnet_model(TINY, "tiny.nnet").unwrap();
        assert_eq!(m.family(), &Family::Mlp(MlpSpec::new(vec![2, 3, 1], vec![Act::Relu, Act::Identity]).unwrap()));
        assert_eq!(bits(&m, "layers.0.weight")[..2], [F32(0x3dcccccd), F32(0xbe4ccccd)]);
        assert_eq!(bits(&m, "layers.0.bias"), vec![F32(0), F32(0x3dcccccd), F32(0xbf800000)]);
        assert_eq!(bits(&m, "layers.1.bias"), vec![F32(0x3e800000)]);
        let g = parse_nnet(TINY, "tiny.nnet").unwrap();
        assert_eq!(Model::from_graph(&g).unwrap(), m);
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
        let m = parse_nnet_model(&text, "1_1.nnet").unwrap();
        let Family::Mlp(spec) = m.family() else { panic!("an mlp") };
        assert_eq!(spec.widths, vec![5, 50, 50, 50, 50, 50, 50, 5]);
        // First weight of the file, 5.40062e-02, rounded once to binary32.
        assert_eq!(bits(&m, "layers.0.weight")[0], F32::from_rational(&parse_exact("5.40062e-02").unwrap()).value);
        assert_eq!(bits(&m, "layers.0.weight")[0], F32(0x3d5d359b));
    }
}
