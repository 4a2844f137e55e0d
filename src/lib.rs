//! torchlean: exact, reproducible facts about small neural networks, re-checked by Lean.
//!
//! The library is layered by concern; the `torchlean` binary is a thin CLI over it.
pub mod artifact;
pub mod audit;
pub mod bounds;
pub mod certify;
pub mod checker;
pub mod error;
pub mod ir;
pub mod json;
pub mod lean;
pub mod limits;
pub mod model;
pub mod num;
pub mod property;
pub mod search;
pub mod suite;
pub mod cli;

pub use error::{Error, ErrorKind, Result};
