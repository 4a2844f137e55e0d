//! JSON reading that refuses what `serde_json::Value` would silently resolve: a key given twice in
//! one object (the `Value` map keeps the last, so a second `"label"` or weight list would replace
//! the first; `docs/format.md` says readers reject it).
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::error::{Error, Result};

/// Parses `bytes` as JSON, rejecting duplicate keys (named, with line and column).
pub fn parse_strict(bytes: &[u8]) -> Result<Value> {
    serde_json::from_slice::<Strict>(bytes).map(|s| s.0).map_err(|e| Error::bad_input(format!("not valid JSON ({e})")))
}

struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> std::result::Result<Value, E> {
        Ok(Value::Number(n.into()))
    }
    fn visit_u64<E>(self, n: u64) -> std::result::Result<Value, E> {
        Ok(Value::Number(n.into()))
    }
    fn visit_f64<E: de::Error>(self, x: f64) -> std::result::Result<Value, E> {
        Number::from_f64(x).map(Value::Number).ok_or_else(|| E::custom(format!("expected a finite number, found {x}")))
    }
    fn visit_str<E>(self, s: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> std::result::Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            if out.contains_key(&k) {
                return Err(de::Error::custom(format!("duplicate key \"{}\"", crate::json::guards::clip(&k))));
            }
            let Strict(v) = map.next_value()?;
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duplicate_key_is_named_with_its_position() {
        let e = parse_strict(br#"{"a":{"label":1,"label":0}}"#).unwrap_err();
        assert_eq!(e.to_string(), "not valid JSON (duplicate key \"label\" at line 1 column 23)");
    }

    #[test]
    fn values_read_as_serde_json_reads_them() {
        let text = br#"{"z":[1,-2,3.5,"s",null,true,{"k":[]}],"a":18446744073709551615}"#;
        assert_eq!(parse_strict(text).unwrap(), serde_json::from_slice::<Value>(text).unwrap());
    }
}
