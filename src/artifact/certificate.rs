//! `torchlean.certificate.v1`: evidence for a property, of method `ibp` (boxes per layer) or `bab`
//! (a tree of input splits with a refutation per disjunct on every leaf); readers and writers.
use serde_json::{Value, json};

use super::{Kind, expect_format};
use crate::bounds::crown::Intermediate;
use crate::error::{Error, Result};
use crate::json::guards::{array, at, clip, fields, found, literal, non_empty, rat, read_box, sha256, size, string};
use crate::num::Q;
use crate::num::interval::Box;
use crate::num::rational::to_canonical;
use crate::search::bab::{LeafBound, Refutation, Tree};

/// A `torchlean.certificate.v1` with method `ibp`: the payload and property it is about, and the
/// boxes `[input, after layer 0, …, output]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Certificate {
    pub payload: String,
    pub property: String,
    pub boxes: Vec<Box>,
}

/// A `torchlean.certificate.v1` with method `bab`: a tree of input splits whose every leaf refutes
/// each disjunct of a `violation_dnf` property (see `crate::search::bab`).
#[derive(Debug, Clone, PartialEq)]
pub struct TreeCertificate {
    pub payload: String,
    pub property: String,
    pub intermediate: Intermediate,
    pub leaf_bound: LeafBound,
    pub tree: Tree,
}

/// Reads a `torchlean.certificate.v1` (method `ibp`).
pub fn read_ibp(value: &Value) -> Result<Certificate> {
    let [boxes, format, method, payload, property] =
        fields(value, "", ["boxes", "format", "method", "payload", "property"])?;
    expect_format(format, Kind::Certificate)?;
    at("method", literal(method, &["ibp"]))?;
    let payload = at("payload", sha256(payload))?;
    let property = at("property", sha256(property))?;
    let list = at("boxes", array(boxes))?;
    if list.len() < 2 {
        return Err(Error::bad_input(format!(
            "boxes: expected at least 2 boxes (input and output), found {}",
            list.len()
        )));
    }
    let boxes = list.iter().enumerate().map(|(k, b)| read_box(b, &format!("boxes[{k}]"))).collect::<Result<_>>()?;
    Ok(Certificate { payload, property, boxes })
}

/// The boxes of a certificate artifact, `[input, after layer 0, …, output]`.
pub fn read_ibp_boxes(value: &Value) -> Result<Vec<Box>> {
    read_ibp(value).map(|c| c.boxes)
}

/// Reads a `torchlean.certificate.v1` of method `bab`: the tree as its nodes in preorder, each
/// `{"split": {"input": i, "at": q}}` (followed by its below and above subtrees) or
/// `{"leaf": {"alpha": [per hidden layer a 0/1 string or an array of rationals], "refute": [{"row": r, "bound": q} per disjunct]}}`.
pub fn read_tree(value: &Value) -> Result<TreeCertificate> {
    let [format, intermediate, leaf_bound, method, nodes, payload, property] =
        fields(value, "", ["format", "intermediate", "leaf_bound", "method", "nodes", "payload", "property"])?;
    expect_format(format, Kind::Certificate)?;
    at("method", literal(method, &["bab"]))?;
    let intermediate = match at("intermediate", literal(intermediate, &["ibp", "crown"]))? {
        "ibp" => Intermediate::Ibp,
        _ => Intermediate::Crown,
    };
    let leaf_bound = match at("leaf_bound", literal(leaf_bound, &["ibp", "crown"]))? {
        "ibp" => LeafBound::Ibp,
        _ => LeafBound::Crown,
    };
    let nodes = at("nodes", non_empty(nodes))?;
    let mut next = 0usize;
    let tree = read_tree_node(nodes, &mut next)?;
    if next != nodes.len() {
        return Err(Error::bad_input(format!(
            "nodes: expected the tree to end at node {}, found {} nodes",
            next - 1,
            nodes.len()
        )));
    }
    Ok(TreeCertificate {
        payload: at("payload", sha256(payload))?,
        property: at("property", sha256(property))?,
        intermediate,
        leaf_bound,
        tree,
    })
}

/// One subtree in preorder, iteratively (trees may be deeper than a recursive reader should go).
fn read_tree_node(nodes: &[Value], next: &mut usize) -> Result<Tree> {
    enum Frame {
        Split(usize, Q),
        Below(usize, Q, Tree),
    }
    let mut stack: Vec<Frame> = Vec::new();
    loop {
        let i = *next;
        let path = format!("nodes[{i}]");
        let v = nodes.get(i).ok_or_else(|| {
            Error::bad_input(format!("nodes: the tree is incomplete: expected node {i}, found only {}", nodes.len()))
        })?;
        *next += 1;
        let mut done = if v.get("split").is_some() {
            let [split] = fields(v, &path, ["split"])?;
            let sp = format!("{path}.split");
            let [at_v, input] = fields(split, &sp, ["at", "input"])?;
            let dim = at(&format!("{sp}.input"), size(input))?;
            let q = at(&format!("{sp}.at"), rat(at_v))?;
            if stack.len() >= crate::limits::MAX_TREE_DEPTH {
                return Err(Error::bad_input(format!(
                    "{path}: expected a tree at most {} splits deep, found a deeper one",
                    crate::limits::MAX_TREE_DEPTH
                )));
            }
            stack.push(Frame::Split(dim, q));
            continue;
        } else {
            let [leaf] = fields(v, &path, ["leaf"])?;
            let lp = format!("{path}.leaf");
            let [alpha, refute] = fields(leaf, &lp, ["alpha", "refute"])?;
            let alphas = at(&format!("{lp}.alpha"), array(alpha))?
                .iter()
                .enumerate()
                .map(|(k, a)| {
                    let ap = format!("{lp}.alpha[{k}]");
                    let (zero, one) = (Q::from_integer(0.into()), Q::from_integer(1.into()));
                    if let Some(list) = a.as_array() {
                        let layer = list
                            .iter()
                            .enumerate()
                            .map(|(i, v)| {
                                let q = at(&format!("{ap}[{i}]"), rat(v))?;
                                if q < zero || q > one {
                                    return Err(Error::bad_input(format!(
                                        "{ap}[{i}]: expected a lower slope α in [0, 1], found {q}"
                                    )));
                                }
                                Ok(q)
                            })
                            .collect::<Result<Vec<Q>>>()?;
                        // One encoding per layer keeps one byte form (and hash) per tree.
                        if layer.iter().all(|q| *q == zero || *q == one) {
                            return Err(Error::bad_input(format!(
                                "{ap}: expected the 0/1 string form for a layer whose α are all 0 or 1, found an array"
                            )));
                        }
                        return Ok(layer);
                    }
                    let s = at(&ap, string(a)).map_err(|_| {
                        Error::bad_input(format!(
                            "{ap}: expected a string of 0/1 or an array of rationals in [0, 1], found {}",
                            found(a)
                        ))
                    })?;
                    s.bytes()
                        .map(|b| match b {
                            b'0' => Ok(zero.clone()),
                            b'1' => Ok(one.clone()),
                            _ => Err(Error::bad_input(format!(
                                "{ap}: expected a string of 0/1 (the lower slope α ∈ {{0, 1}} of each neuron), found \"{}\"",
                                clip(s)
                            ))),
                        })
                        .collect::<Result<Vec<Q>>>()
                })
                .collect::<Result<Vec<_>>>()?;
            let refute = at(&format!("{lp}.refute"), non_empty(refute))?
                .iter()
                .enumerate()
                .map(|(d, r)| {
                    let rp = format!("{lp}.refute[{d}]");
                    let [bound, rows] = fields(r, &rp, ["bound", "rows"])?;
                    let terms = at(&format!("{rp}.rows"), non_empty(rows))?
                        .iter()
                        .enumerate()
                        .map(|(k, t)| {
                            let tp = format!("{rp}.rows[{k}]");
                            match t.as_array().map(Vec::as_slice) {
                                Some([i, l]) => Ok((at(&format!("{tp}[0]"), size(i))?, at(&format!("{tp}[1]"), rat(l))?)),
                                _ => Err(Error::bad_input(format!("{tp}: expected [row, weight], found {}", found(t)))),
                            }
                        })
                        .collect::<Result<Vec<_>>>()?;
                    Ok(Refutation { terms, bound: at(&format!("{rp}.bound"), rat(bound))? })
                })
                .collect::<Result<Vec<_>>>()?;
            Tree::Leaf { refute, alphas }
        };
        // Attach the finished subtree to the splits waiting for it.
        loop {
            match stack.pop() {
                None => return Ok(done),
                Some(Frame::Split(dim, q)) => {
                    stack.push(Frame::Below(dim, q, done));
                    break;
                }
                Some(Frame::Below(dim, q, below)) => {
                    done = Tree::Split { dim, at: q, below: std::boxed::Box::new(below), above: std::boxed::Box::new(done) };
                }
            }
        }
    }
}

/// The tree's nodes in preorder (the artifact's `nodes`).
pub fn nodes_json(tree: &Tree) -> Vec<Value> {
    let mut out = Vec::new();
    let mut stack = vec![tree];
    while let Some(t) = stack.pop() {
        match t {
            Tree::Leaf { refute, alphas } => {
                let alpha: Vec<Value> = alphas.iter().map(|l| alpha_json(l)).collect();
                let refute: Vec<Value> =
                    refute.iter().map(|r| json!({"rows": r.terms.iter().map(|(i, l)| json!([i, to_canonical(l)])).collect::<Vec<_>>(), "bound": to_canonical(&r.bound)})).collect();
                out.push(json!({"leaf": {"alpha": alpha, "refute": refute}}));
            }
            Tree::Split { dim, at, below, above } => {
                out.push(json!({"split": {"input": dim, "at": to_canonical(at)}}));
                stack.push(above);
                stack.push(below);
            }
        }
    }
    out
}

/// One hidden layer's lower slopes: a string of `0`/`1` when every α is 0 or 1 (CROWN-Ada's
/// choice, the common case, one byte per neuron), else one rational per neuron.
fn alpha_json(layer: &[Q]) -> Value {
    let (zero, one) = (Q::from_integer(0.into()), Q::from_integer(1.into()));
    if layer.iter().all(|a| *a == zero || *a == one) {
        Value::String(layer.iter().map(|a| if *a == zero { '0' } else { '1' }).collect())
    } else {
        Value::Array(layer.iter().map(|a| Value::String(to_canonical(a))).collect())
    }
}

/// The `torchlean.certificate.v1` (method `bab`) of a verified property.
pub fn tree_json(payload: &str, property: &str, intermediate: Intermediate, leaf: LeafBound, tree: &Tree) -> Value {
    json!({
        "format": "torchlean.certificate.v1",
        "method": "bab",
        "payload": payload,
        "property": property,
        "intermediate": intermediate.name(),
        "leaf_bound": leaf.name(),
        "nodes": nodes_json(tree),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(r: Result<impl std::fmt::Debug>) -> String {
        r.unwrap_err().to_string()
    }

    fn demo_certificate() -> Value {
        json!({"boxes": [[["-1/2", "1"]], [["0", "3/4"]]], "format": "torchlean.certificate.v1", "method": "ibp",
               "payload": format!("sha256:{}", "a".repeat(64)), "property": format!("sha256:{}", "b".repeat(64))})
    }

    #[test]
    fn certificate_reads_and_names_its_references() {
        let a = super::super::Artifact::read(&demo_certificate()).unwrap();
        let refs: Vec<(String, Kind)> = a.references().into_iter().map(|r| (r.key, r.target)).collect();
        assert_eq!(refs, vec![("payload".into(), Kind::Payload), ("property".into(), Kind::Property)]);
    }

    #[test]
    fn bad_values_are_rejected_with_key_path_expected_and_found() {
        let cases: Vec<(Value, &str)> = vec![
            (json!(0.5), "boxes[1][0][1]: expected a canonical rational string, found JSON number 0.5"),
            (
                json!("6/8"),
                "boxes[1][0][1]: expected a canonical rational such as \"-3/4\" or \"5\", found \"6/8\" (fraction is not reduced)",
            ),
            (json!("-1"), "boxes[1][0]: expected lo <= hi, found 0 > -1"),
        ];
        for (bad, want) in cases {
            let mut c = demo_certificate();
            c["boxes"][1][0][1] = bad;
            assert_eq!(err(read_ibp(&c)), want);
        }
        let mut c = demo_certificate();
        c["payload"] = json!(format!("sha256:{}", "A".repeat(64)));
        assert!(
            err(read_ibp(&c))
                .starts_with("payload: expected \"sha256:\" + 64 lowercase hex digits, found \"sha256:AAAA")
        );
        let mut c = demo_certificate();
        c["extra"] = json!("1");
        assert_eq!(
            err(read_ibp(&c)),
            "unknown key \"extra\" (expected exactly the keys boxes, format, method, payload, property)"
        );
        let mut c = demo_certificate();
        c["format"] = json!("torchlean.certificate.v2");
        assert!(err(super::super::Artifact::read(&c)).starts_with("format: expected one of torchlean.payload.v1,"));
    }
}
