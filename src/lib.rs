//! torchlean: exact, reproducible facts about small neural networks, re-checked by Lean.
//!
//! The library is layered by concern; the `torchlean` binary is a thin CLI over it.
pub mod bounds;
pub mod cert;
pub mod error;
pub mod ir;
pub mod lean;
pub mod model;
pub mod num;
pub mod property;
pub mod cli;

pub use error::{Error, ErrorKind, Result};
