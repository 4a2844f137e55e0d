//! Artifacts and certificates: canonical JSON (RFC 8785), SHA-256 references, atomic writes,
//! manifests, and the certificate kinds torchlean emits.
pub mod audit;
pub mod bab;
pub mod canonical;
pub mod crown;
pub mod ibp;
pub mod packed;
pub mod schema;
pub mod store;

pub use canonical::{canonical_bytes, sha256_ref};
