//! The strict JSON guards every artifact reader uses: each states what was expected and what was
//! found, and [`at`] adds the key path (`boxes[1][0][1]`, `tensors[0].f32[3]`) in one place.
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::num::Q;
use crate::num::binary32::F32;
use crate::num::interval::{Box, Interval};
use crate::num::rational;

// ---- guards: each states what was expected and what was found; `at` adds the key path ----

/// Attaches the key path `path` (empty at the root) to an error.
pub(crate) fn at<T>(path: &str, r: Result<T>) -> Result<T> {
    if path.is_empty() { r } else { r.map_err(|e| e.context(path)) }
}

/// Whether `s` is a valid `sha256:` reference: the prefix and 64 lowercase hex digits.
pub fn is_sha256_ref(s: &str) -> bool {
    s.strip_prefix("sha256:").is_some_and(|h| h.len() == 64 && h.bytes().all(is_lower_hex))
}

fn is_lower_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

pub(crate) fn is_file_name(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// A found value for messages; long strings are shortened.
pub(crate) fn clip(s: &str) -> String {
    if s.chars().count() <= 80 { s.to_string() } else { format!("{}…", s.chars().take(77).collect::<String>()) }
}

pub(crate) fn found(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("JSON boolean {b}"),
        Value::Number(n) => format!("JSON number {n}"),
        Value::String(s) => format!("\"{}\"", clip(s)),
        Value::Array(a) => format!("an array of {} elements", a.len()),
        Value::Object(_) => "an object".into(),
    }
}

/// The values of exactly the keys `names` (sorted, as JCS orders them) of the object at `path`.
pub(crate) fn fields<'a, const N: usize>(v: &'a Value, path: &str, names: [&str; N]) -> Result<[&'a Value; N]> {
    let map: &Map<String, Value> = match v {
        Value::Object(m) => m,
        v => return at(path, Err(Error::bad_input(format!("expected an object, found {}", found(v))))),
    };
    for k in map.keys() {
        if !k.is_ascii() {
            return at(path, Err(Error::bad_input(format!("expected ASCII keys only, found key \"{}\"", clip(k)))));
        }
        if !names.contains(&k.as_str()) {
            let msg = format!("unknown key \"{}\" (expected exactly the keys {})", clip(k), names.join(", "));
            return at(path, Err(Error::bad_input(msg)));
        }
    }
    let mut out = [&Value::Null; N];
    for (slot, name) in out.iter_mut().zip(names) {
        *slot = map.get(name).ok_or_else(|| {
            let e = Error::bad_input(format!("missing key \"{name}\""));
            if path.is_empty() { e } else { e.context(path) }
        })?;
    }
    Ok(out)
}

pub(crate) fn string(v: &Value) -> Result<&str> {
    v.as_str().ok_or_else(|| Error::bad_input(format!("expected a string, found {}", found(v))))
}

/// One of the strings `allowed`.
pub(crate) fn literal<'a>(v: &'a Value, allowed: &[&str]) -> Result<&'a str> {
    match v.as_str() {
        Some(s) if allowed.contains(&s) => Ok(s),
        _ => {
            let list: Vec<String> = allowed.iter().map(|a| format!("\"{a}\"")).collect();
            let expected = if list.len() == 1 { list[0].clone() } else { format!("one of {}", list.join(", ")) };
            Err(Error::bad_input(format!("expected {expected}, found {}", found(v))))
        }
    }
}

pub(crate) fn array(v: &Value) -> Result<&Vec<Value>> {
    v.as_array().ok_or_else(|| Error::bad_input(format!("expected an array, found {}", found(v))))
}

pub(crate) fn non_empty(v: &Value) -> Result<&Vec<Value>> {
    let a = array(v)?;
    if a.is_empty() {
        return Err(Error::bad_input("expected a non-empty array, found []"));
    }
    Ok(a)
}

/// The largest integer a JSON number holds exactly in every reader (2^53 − 1).
pub(crate) const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A size or index: a non-negative JSON integer no larger than 2^53 − 1.
pub(crate) fn size(v: &Value) -> Result<usize> {
    match v.as_u64() {
        Some(n) if n <= MAX_SAFE_INTEGER => {
            usize::try_from(n).map_err(|_| Error::bad_input(format!("expected a size that fits in memory, found {n}")))
        }
        _ => {
            Err(Error::bad_input(format!("expected a non-negative JSON integer (at most 2^53-1), found {}", found(v))))
        }
    }
}

/// A canonical rational string (`crate::num::rational::parse_canonical`).
pub(crate) fn rat(v: &Value) -> Result<Q> {
    match v {
        Value::String(s) => rational::parse_canonical(s),
        v => Err(Error::bad_input(format!("expected a canonical rational string, found {}", found(v)))),
    }
}

/// binary32 bits: `"0x"` and 8 lowercase hex digits.
pub(crate) fn bits(v: &Value) -> Result<F32> {
    v.as_str().and_then(F32::parse_hex).ok_or_else(|| {
        Error::bad_input(format!("expected binary32 bits \"0x\" + 8 lowercase hex digits, found {}", found(v)))
    })
}

pub(crate) fn sha256(v: &Value) -> Result<String> {
    match v.as_str() {
        Some(s) if is_sha256_ref(s) => Ok(s.to_string()),
        _ => Err(Error::bad_input(format!("expected \"sha256:\" + 64 lowercase hex digits, found {}", found(v)))),
    }
}

/// A name: ASCII `[A-Za-z_][A-Za-z0-9_.]*`.
pub(crate) fn ident(v: &Value) -> Result<String> {
    let s = string(v)?;
    let mut bytes = s.bytes();
    let ok = bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
    if !ok {
        return Err(Error::bad_input(format!("expected a name of [A-Za-z_][A-Za-z0-9_.]*, found \"{}\"", clip(s))));
    }
    Ok(s.to_string())
}

pub(crate) fn tensor_name(v: &Value) -> Result<String> {
    ident(v)
}

pub(crate) fn read_shape(v: &Value, path: &str) -> Result<Vec<usize>> {
    at(path, array(v))?.iter().enumerate().map(|(i, d)| at(&format!("{path}[{i}]"), size(d))).collect()
}

/// `[lo, hi]` with canonical rational ends and `lo <= hi`.
pub(crate) fn read_interval(v: &Value, path: &str) -> Result<Interval> {
    let ends = at(path, array(v))?;
    if ends.len() != 2 {
        return at(
            path,
            Err(Error::bad_input(format!("expected [lo, hi], found an array of {} elements", ends.len()))),
        );
    }
    let lo = at(&format!("{path}[0]"), rat(&ends[0]))?;
    let hi = at(&format!("{path}[1]"), rat(&ends[1]))?;
    if lo > hi {
        let (l, h) = (rational::to_canonical(&lo), rational::to_canonical(&hi));
        return at(path, Err(Error::bad_input(format!("expected lo <= hi, found {l} > {h}"))));
    }
    Ok(Interval::new(lo, hi))
}

/// A non-empty array of intervals.
pub(crate) fn read_box(v: &Value, path: &str) -> Result<Box> {
    at(path, non_empty(v))?.iter().enumerate().map(|(j, i)| read_interval(i, &format!("{path}[{j}]"))).collect()
}
