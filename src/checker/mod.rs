//! The Lean checkers a certificate's leaves can take, one file per kind (Carcara's rule table):
//! each holds the kind's Rust re-check (the computation the kernel repeats), its Lean emission and
//! the name of its Lean soundness theorem. [`LeafKind`] is the closed list; [`tree`] decides which
//! kind a tree certificate takes, re-checks it (`torchlean check-cert`) and gathers the leaves'
//! data for its module.
//!
//! | kind | Rust | Lean checker | soundness theorem (file) |
//! |---|---|---|---|
//! | [`LeafKind::Ibp`] | [`ibp`] | `ibpLeafOk` | `ibpLeafOk_safe` (`Cert/Bab.lean`) |
//! | [`LeafKind::Crown`] | [`crown`] | `crownLeafOk` | `crownLeafOk_safe` (`Cert/Bab.lean`) |
//! | [`LeafKind::CrownBox`] | [`crown_box`] | `crownBoxLeafOk` | `crownBoxLeafOk_safe` (`Cert/Bab.lean`) |
//! | [`LeafKind::Packed`] | [`packed`] | `packedLeafOk` | `packedLeafOk_safe` (`Cert/PackedLeaf.lean`) |
//! | [`LeafKind::Env`] | [`env`] | `envLeafOk` | `envLeafOk_safe` (`Cert/EnvLeaf.lean`) |
//!
//! Besides tree leaves: [`dense_crown`] (a one-box CROWN certificate, `crown_certified`) and
//! [`counterexample`] (a counterexample's replay, which needs no Lean).
pub mod counterexample;
pub mod crown;
pub mod crown_box;
pub mod dense_crown;
pub mod env;
pub mod ibp;
pub mod packed;
pub mod syntax;
pub mod tree;

/// The kinds of leaf checker, closed: a certificate module checks every leaf of its tree with one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeafKind {
    /// The exact IBP chain ([`ibp`]).
    Ibp,
    /// CROWN over IBP hidden boxes ([`crown`]).
    Crown,
    /// CROWN over CROWN-justified hidden boxes ([`crown_box`]).
    CrownBox,
    /// The packed fixed-point CROWN run ([`packed`]).
    Packed,
    /// IBP through the smooth activations' enclosures ([`env`]).
    Env,
}

impl LeafKind {
    /// Every kind, in the order of the table above.
    pub const ALL: [LeafKind; 5] = [LeafKind::Ibp, LeafKind::Crown, LeafKind::CrownBox, LeafKind::Packed, LeafKind::Env];

    /// The Lean checker's name (`decide +kernel` evaluates it per leaf).
    pub fn check(self) -> &'static str {
        match self {
            LeafKind::Ibp => ibp::CHECK,
            LeafKind::Crown => crown::CHECK,
            LeafKind::CrownBox => crown_box::CHECK,
            LeafKind::Packed => packed::CHECK,
            LeafKind::Env => env::CHECK,
        }
    }

    /// The Lean theorem that turns an accepted leaf into `Safe violation (evalNet net x)` (for
    /// `Env`: `evalNetS σ net x` for every `σ` within the enclosures).
    pub fn theorem(self) -> &'static str {
        match self {
            LeafKind::Ibp => ibp::THEOREM,
            LeafKind::Crown => crown::THEOREM,
            LeafKind::CrownBox => crown_box::THEOREM,
            LeafKind::Packed => packed::THEOREM,
            LeafKind::Env => env::THEOREM,
        }
    }

    /// The Lean file that defines the checker and proves its theorem.
    pub fn lean_file(self) -> &'static str {
        match self {
            LeafKind::Packed => "lean/TorchLean/Cert/PackedLeaf.lean",
            LeafKind::Env => "lean/TorchLean/Cert/EnvLeaf.lean",
            _ => "lean/TorchLean/Cert/Bab.lean",
        }
    }
}

impl std::fmt::Display for LeafKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.check())
    }
}
