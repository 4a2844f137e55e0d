//! The Lean side of torchlean: generating certificate modules, finding or installing a Lean
//! toolchain, building the Lean project, and reporting what Lean accepted.
pub mod check;
mod builder;
pub mod driver;
pub mod emit;
pub mod imports;
pub mod outcome;
pub mod pin;
pub mod toolchain;
