//! Searches: branch and bound over input splits, the α search, and the counterexample search.
//! They use the bound engines of [`crate::bounds`] and produce a certificate [`bab::Tree`] or a
//! replayed counterexample; nothing they compute is trusted (certificates are re-checked).
pub mod alpha;
pub mod attack;
pub mod bab;
pub mod env;
mod view;
