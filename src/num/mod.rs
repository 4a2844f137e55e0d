//! Exact numerics: rationals (the reference semantics) and IEEE binary32 as bits.
pub mod binary32;
pub mod dyadic;
pub mod elementary;
pub mod interval;
pub mod rational;

pub use rational::Q;
