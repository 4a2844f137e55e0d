//! The parts of a tree certificate's module that do not depend on the network's view: the
//! violation and input box (`head`), the leaves' boxes, and the split tree with `covered`. Shared
//! by dense ([`super::tree`]) and smooth ([`super::env`]) modules.
use std::fmt::Write;

use crate::checker::syntax::{box_literal, rat, violation_literal};
use crate::num::interval::Box;
use crate::property::Vnnlib;
use crate::search::bab::Tree;

/// `layers_finite` when the `n` layers are packed literals, the violation and the property's
/// input box.
pub(super) fn head(s: &mut String, literal_layers: Option<usize>, prop: &Vnnlib) {
    if let Some(n) = literal_layers {
        layers_finite(s, n);
    }
    violation_def(s, prop);
    let _ = writeln!(*s, "/-- The property's input box. -/");
    let _ = writeln!(*s, "@[expose] def box0 : Box := {}\n", box_literal(&prop.input_box));
}

/// `layers_finite`: every weight and bias of the `n` layers (packed literals) is finite.
pub(super) fn layers_finite(s: &mut String, n: usize) {
    let fin: Vec<String> = (0..n).map(|i| format!("allFiniteRows layer{i}Weight && allFinite layer{i}Bias")).collect();
    let _ = writeln!(*s, "/-- Every weight and bias is a finite binary32 (one kernel check for all layers). -/");
    let _ = writeln!(*s, "theorem layers_finite : ({}) = true := by decide +kernel\n", fin.join(" && "));
}

/// `violation`: the property's disjunction of conjunctions of output rows.
pub(super) fn violation_def(s: &mut String, prop: &Vnnlib) {
    let _ = writeln!(*s, "/-- The violation: a disjunction (outer list) of conjunctions of output rows. -/");
    let _ = writeln!(*s, "@[expose] def violation : List (List Row) := {}\n", violation_literal(prop));
}

pub(super) fn leaf_box_defs<'a>(s: &mut String, boxes: impl Iterator<Item = (usize, &'a Box)>) {
    for (k, b) in boxes {
        let _ = writeln!(*s, "/-- Leaf {k}'s box. -/");
        let _ = writeln!(*s, "@[expose] def leaf{k}Box : Box := {}\n", box_literal(b));
    }
}

/// The split tree over the leaves' boxes and `covered`.
pub(super) fn tree_section(s: &mut String, tree: &Tree) {
    let mut next = 0;
    let _ = writeln!(*s, "/-- The split tree. -/");
    let _ = writeln!(*s, "@[expose] def tree : Tree := {}\n", tree_literal(tree, &mut next));
    let _ = writeln!(*s, "/-- The leaves cover the input box. -/");
    let _ = writeln!(*s, "theorem covered : covers box0 tree = true := by decide +kernel\n");
}

fn tree_literal(tree: &Tree, next: &mut usize) -> String {
    match tree {
        Tree::Leaf { .. } => {
            let k = *next;
            *next += 1;
            format!("(.leaf leaf{k}Box)")
        }
        Tree::Split { dim, at, below, above } => {
            let b = tree_literal(below, next);
            let a = tree_literal(above, next);
            format!("(.split {dim} ({}) {b} {a})", rat(at))
        }
    }
}
