//! `certified_claim`, every module's final theorem: `Claim graph params box goal` (`ClaimS` with
//! smooth activations, `Cert/Claim.lean`) of the module's own data, proved from `certified_graph`.
//! `torchlean check` pins its type from the artifacts (`lean::pin`), so this is the one statement
//! of what a certificate claims.
use std::fmt::Write;

use super::binding::{Claim, claim_of};

/// What the module's `certified_graph` proves of an output `y`.
#[derive(Clone, Copy)]
pub(super) enum Fact {
    /// `Box.Mem box{n} y`: a dense certificate's final box (an `output_box` property).
    InBox(usize),
    /// `Safe violation y`: no violation disjunct holds (a tree certificate).
    Safe,
}

/// `claim_lowered` (for an L∞ claim) and `certified_claim`. `property` is the property artifact's
/// bytes, which say the claim's kind; `smooth` selects `ClaimS` (quantified over `σ`).
pub(super) fn claim_section(s: &mut String, fact: Fact, property: Option<&[u8]>, smooth: bool) {
    let (claim, sigma, pass) = if smooth { ("ClaimS", "σ hσ ", "σ hσ ") } else { ("Claim", "", "") };
    let doc = "/-- **The claim** (`TorchLean.Cert.Claim`): `torchlean check` states this type from the payload\n\
               and the property it reads itself, and has Lean accept this theorem at it. -/";
    match (fact, property.and_then(claim_of)) {
        (Fact::InBox(n), _) => {
            let _ = writeln!(*s, "{doc}\ntheorem certified_claim : {claim} graph params box0 (.box box{n}) :=\n  certified_graph\n");
        }
        (Fact::Safe, Some((_, Claim::Linf { center, epsilon, label, outputs }))) => {
            let center = center.join(", ");
            let _ = writeln!(
                *s,
                "/-- The box and the violation the certificate refutes are the ones Lean derives from the L∞ claim. -/\n\
                 theorem claim_lowered :\n    \
                 ballBox [{center}] ({epsilon}) = box0 ∧ linfViolation {label} {outputs} = violation ∧ {label} < {outputs} := by\n  \
                 decide +kernel\n"
            );
            let _ = writeln!(
                *s,
                "{doc}\ntheorem certified_claim : {claim} graph params (ballBox [{center}] ({epsilon})) (.robust {label} {outputs}) :=\n  \
                 fun {sigma}x hx => by\n    \
                 rw [claim_lowered.1] at hx\n    \
                 obtain ⟨y, hy, hs⟩ := certified_graph {pass}x hx\n    \
                 rw [← claim_lowered.2.1] at hs\n    \
                 exact ⟨y, hy, robust_of_safe claim_lowered.2.2 hs⟩\n"
            );
        }
        (Fact::Safe, Some((_, Claim::OutputBox { output_box }))) => {
            let o: Vec<String> = output_box.iter().map(|(lo, hi)| format!("⟨{lo}, {hi}⟩")).collect();
            let o = format!("[{}]", o.join(", "));
            let _ = writeln!(
                *s,
                "/-- The violation the tree refutes is the output box's complement, as Lean computes it. -/\n\
                 theorem claim_lowered : outsideBox {o} = violation := by decide +kernel\n"
            );
            let _ = writeln!(
                *s,
                "{doc}\ntheorem certified_claim : {claim} graph params box0 (.safe (outsideBox {o})) := by\n  \
                 rw [claim_lowered]; exact certified_graph\n"
            );
        }
        (Fact::Safe, _) => {
            let _ = writeln!(*s, "{doc}\ntheorem certified_claim : {claim} graph params box0 (.safe violation) :=\n  certified_graph\n");
        }
    }
}
