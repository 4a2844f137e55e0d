//! JSON as artifacts use it: the canonical bytes (RFC 8785) that name an artifact by SHA-256, and
//! the strict guards every reader uses.
pub mod canonical;
pub(crate) mod guards;
pub mod strict;

pub use canonical::{canonical_bytes, parse_canonical, sha256_ref};
pub use guards::is_sha256_ref;
pub use strict::parse_strict;
