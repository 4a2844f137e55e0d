//! Canonical bytes and hashes of artifacts.
//!
//! Every artifact is JSON in RFC 8785 (JCS) form, and an artifact is named by the SHA-256 of exactly
//! those bytes, written `"sha256:<64 lowercase hex>"`. Canonicalisation is delegated to a maintained
//! JCS implementation; this module only fixes how torchlean uses it.
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The RFC 8785 canonical bytes of a JSON value.
pub fn canonical_bytes(value: &Value) -> Result<Vec<u8>> {
    serde_json_canonicalizer::to_vec(value)
        .map_err(|e| Error::internal(format!("cannot canonicalise JSON: {e}")))
}

/// The reference string `sha256:<hex>` of some bytes.
pub fn sha256_ref(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Parses `bytes` as JSON and requires them to be already canonical, naming the first difference.
pub fn parse_canonical(bytes: &[u8]) -> Result<Value> {
    let value: Value = crate::json::parse_strict(bytes)?;
    let canon = canonical_bytes(&value)?;
    if canon != bytes {
        let at = canon.iter().zip(bytes).position(|(a, b)| a != b).unwrap_or(canon.len().min(bytes.len()));
        return Err(Error::bad_input(format!(
            "not in RFC 8785 canonical form: first difference at byte {at} (expected {} bytes, found {})",
            canon.len(),
            bytes.len()
        )));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_and_whitespace_dropped() {
        let v = json!({"b": "1", "a": [1, 2], "format": "torchlean.x.v1"});
        let bytes = canonical_bytes(&v).unwrap();
        assert_eq!(bytes, br#"{"a":[1,2],"b":"1","format":"torchlean.x.v1"}"#);
        assert_eq!(sha256_ref(&bytes), "sha256:4c6c27897c7b39d7e2921157de2d53865d70da92fb60b592966958e981df13b7");
    }

    #[test]
    fn non_canonical_bytes_are_rejected() {
        assert!(parse_canonical(br#"{"a":"1"}"#).is_ok());
        for bad in [&br#"{"a": "1"}"#[..], br#"{"b":"1","a":"2"}"#, b"{\"a\":\"1\"}\n"] {
            let e = parse_canonical(bad).unwrap_err().to_string();
            assert!(e.contains("not in RFC 8785 canonical form"), "{e}");
        }
    }
}
