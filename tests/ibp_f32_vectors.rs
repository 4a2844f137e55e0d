//! The binary32 execution and its interval enclosure, shared with Lean:
//! `lean/TorchLean/Bounds/IBPF32Vectors.lean` states the demo network as bit patterns, an input
//! box, a binary32 point, and what the declared-order execution (`IR/DenseF32.lean`) and the
//! directed-rounding IBP (`Bounds/IBPF32.lean`) give there; the kernel checks those statements
//! against the Lean models. This test reads the same file and checks every number against the
//! Rust: the network is `Model::demo()`, the execution is `eval_f32`, the box is `ibp_f32_mlp`'s.
use std::fs;

use torchlean::search::attack::eval_f32;
use torchlean::bounds::ibp_f32::ibp_f32_mlp;
use torchlean::num::interval::{Box, Interval};
use torchlean::bounds::dense::Dense;
use torchlean::model::{Model, lower};
use torchlean::num::binary32::F32;

fn lean_file() -> String {
    fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/lean/TorchLean/Bounds/IBPF32Vectors.lean")).unwrap()
}

/// The hex literals of the Lean declaration `name`, in order (up to the next blank line).
fn hex_of(text: &str, name: &str) -> Vec<u32> {
    let start = text.find(name).unwrap_or_else(|| panic!("`{name}` not in the Lean file"));
    let body = &text[start + name.len()..];
    let body = &body[..body.find("\n\n").unwrap_or(body.len())];
    body.split(|c: char| !c.is_ascii_alphanumeric())
        .filter_map(|t| t.strip_prefix("0x"))
        .map(|h| u32::from_str_radix(h, 16).unwrap())
        .collect()
}

fn bits(xs: &[F32]) -> Vec<u32> {
    xs.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn lean_states_the_demo_network_bit_for_bit() {
    let mut expect = Vec::new();
    // The payload's tensors in order: each layer's weight rows, then its bias.
    for (_, t) in Model::demo().tensors() {
        expect.extend(bits(t.data()));
    }
    assert_eq!(hex_of(&lean_file(), "def demoNet32"), expect);
}

#[test]
fn lean_and_rust_execute_the_demo_network_to_the_same_bits() {
    let text = lean_file();
    let x: Vec<F32> = hex_of(&text, "def demoPoint32").into_iter().map(F32).collect();
    assert_eq!(x.len(), 2);
    let y = eval_f32(&lower(&Model::demo()).unwrap(), &x).unwrap();
    assert_eq!(hex_of(&text, "theorem demoNet32_exec"), bits(&y), "Rust executes {:08x?}", bits(&y));
}

#[test]
fn lean_and_rust_compute_the_same_binary32_enclosure() {
    let text = lean_file();
    let ends = hex_of(&text, "def demoBox32");
    let input: Box = ends
        .chunks(2)
        .map(|c| Interval::new(F32(c[0]).to_rational().unwrap(), F32(c[1]).to_rational().unwrap()))
        .collect();
    let boxes = ibp_f32_mlp(&Dense::of(&lower(&Model::demo()).unwrap()).unwrap(), &input).unwrap();
    let rust: Vec<u32> = boxes
        .last()
        .unwrap()
        .iter()
        .flat_map(|iv| [&iv.lo, &iv.hi])
        .map(|q| F32::from_rational(q).value.to_bits())
        .collect();
    let lean = hex_of(&text, "theorem demoNet32_ibp");
    assert_eq!(lean, rust, "Rust encloses in {rust:08x?}");
    // The pinned enclosure of `ibp_f32`'s own test, [-8556381/8388608, 3649045/2097152].
    assert_eq!(
        lean.iter().map(|b| F32(*b).to_rational().unwrap().to_string()).collect::<Vec<_>>(),
        ["-8556381/8388608", "3649045/2097152"]
    );
}
