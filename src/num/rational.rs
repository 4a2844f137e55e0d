//! Exact rationals, the reference semantics of every bound torchlean computes.
//!
//! Two textual forms exist on purpose: [`parse_canonical`] accepts only what artifacts may contain
//! (a reduced fraction `"-3/4"` or an integer `"5"`), while [`parse_exact`] is the lenient reader for
//! humans and benchmark files (`"1e-3"`, `"0.25"`, `"6/8"`), still exact: no value is rounded.
use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Signed, Zero};

use crate::error::{Error, Result};

/// The exact rational type used throughout torchlean.
pub type Q = BigRational;

/// The canonical text of a rational: `"n"` when the denominator is 1, else `"n/d"`, always reduced
/// (`BigRational` keeps itself reduced with a positive denominator).
pub fn to_canonical(q: &Q) -> String {
    if q.denom().is_one() { q.numer().to_string() } else { format!("{}/{}", q.numer(), q.denom()) }
}

fn is_canonical_int(s: &str, allow_sign: bool) -> bool {
    let digits = if allow_sign { s.strip_prefix('-').unwrap_or(s) } else { s };
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && !(s.starts_with('-') && digits == "0")
}

/// Parses the canonical form strictly: `-?[1-9][0-9]*` or `0` for integers, `n/d` with `d > 1` and
/// `gcd(n, d) = 1`. Anything else (a `+`, leading zeros, `-0`, `6/8`, `3/1`, decimals) is rejected
/// with the reason, because two spellings of one value would give two hashes.
pub fn parse_canonical(s: &str) -> Result<Q> {
    let bad = |why: &str| Error::bad_input(format!("expected a canonical rational such as \"-3/4\" or \"5\", found \"{s}\" ({why})"));
    match s.split_once('/') {
        None => {
            if !is_canonical_int(s, true) {
                return Err(bad("not a canonical integer"));
            }
            Ok(Q::from_integer(s.parse::<BigInt>().map_err(|_| bad("not an integer"))?))
        }
        Some((n, d)) => {
            if !is_canonical_int(n, true) || !is_canonical_int(d, false) {
                return Err(bad("numerator or denominator is not a canonical integer"));
            }
            let n: BigInt = n.parse().map_err(|_| bad("bad numerator"))?;
            let d: BigInt = d.parse().map_err(|_| bad("bad denominator"))?;
            if d <= BigInt::one() {
                return Err(bad("denominator must be greater than 1"));
            }
            if !n.gcd(&d).is_one() {
                return Err(bad("fraction is not reduced"));
            }
            Ok(Q::new_raw(n, d))
        }
    }
}

/// Reads a rational exactly from a human-written string: an integer, a fraction `n/d`, or a decimal
/// with optional exponent (`-1.25e-3`). The value is exact: `0.1` is 1/10, not the nearest float.
/// Exponents reach ±100000 (reference data such as `1.1e-4343` needs them); readers of files and
/// flags use [`parse_input`].
pub fn parse_exact(s: &str) -> Result<Q> {
    parse_within(s, 100_000)
}

/// As [`parse_exact`] for numbers from files and flags (VNN-LIB, `.nnet`, the command line):
/// exponents within ±[`crate::limits::MAX_DECIMAL_EXPONENT`], so a hostile `1e-99999` costs
/// nothing.
pub fn parse_input(s: &str) -> Result<Q> {
    parse_within(s, crate::limits::MAX_DECIMAL_EXPONENT)
}

fn parse_within(s: &str, max_exponent: u64) -> Result<Q> {
    let bad = |why: &str| Error::bad_input(format!("expected an exact number such as \"-3/7\", \"0.25\" or \"1e-3\", found \"{s}\" ({why})"));
    let t = s.trim();
    if let Some((n, d)) = t.split_once('/') {
        let n = parse_within(n, max_exponent).map_err(|_| bad("bad numerator"))?;
        let d = parse_within(d, max_exponent).map_err(|_| bad("bad denominator"))?;
        if d.is_zero() {
            return Err(bad("division by zero"));
        }
        return Ok(n / d);
    }
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => {
            let e: i64 = body[i + 1..].parse().map_err(|_| bad("bad exponent"))?;
            (&body[..i], e)
        }
        None => (body, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(bad("no digits"));
    }
    if !int_part.bytes().chain(frac_part.bytes()).all(|b| b.is_ascii_digit()) {
        return Err(bad("not a number"));
    }
    if exp.unsigned_abs() > max_exponent {
        return Err(bad(&format!("exponent beyond ±{max_exponent}")));
    }
    let digits: BigInt = format!("0{int_part}{frac_part}").parse().map_err(|_| bad("not a number"))?;
    let scale = exp - frac_part.len() as i64;
    let ten = BigInt::from(10u32);
    let mut q = if scale >= 0 {
        Q::from_integer(digits * num_traits::pow(ten, scale as usize))
    } else {
        Q::new(digits, num_traits::pow(ten, (-scale) as usize))
    };
    if neg {
        q = -q;
    }
    Ok(q)
}

/// `min` and `max` of two rationals by reference, for bound code that must not clone needlessly.
pub fn min_ref<'a>(a: &'a Q, b: &'a Q) -> &'a Q {
    if a <= b { a } else { b }
}
pub fn max_ref<'a>(a: &'a Q, b: &'a Q) -> &'a Q {
    if a >= b { a } else { b }
}

/// Whether `q` is an integer multiple of a power of two (a dyadic rational).
pub fn is_dyadic(q: &Q) -> bool {
    let d = q.denom();
    d.is_positive() && (d & (d - BigInt::one())).is_zero()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: i64, d: i64) -> Q {
        Q::new(n.into(), d.into())
    }

    #[test]
    fn canonical_text_round_trips() {
        for (v, s) in [(q(-3, 4), "-3/4"), (q(5, 1), "5"), (q(0, 7), "0"), (q(6, 8), "3/4")] {
            assert_eq!(to_canonical(&v), s);
            assert_eq!(parse_canonical(s).unwrap(), v);
        }
    }

    #[test]
    fn non_canonical_spellings_are_rejected_with_reason() {
        for (s, why) in [
            ("6/8", "not reduced"),
            ("3/1", "greater than 1"),
            ("+3", "not a canonical integer"),
            ("-0", "not a canonical integer"),
            ("007", "not a canonical integer"),
            ("0.5", "not a canonical integer"),
            ("1/-2", "canonical integer"),
        ] {
            let e = parse_canonical(s).unwrap_err().to_string();
            assert!(e.contains(why) && e.contains(s), "{s}: {e}");
        }
    }

    #[test]
    fn exact_reader_keeps_decimals_exact() {
        assert_eq!(parse_exact("0.1").unwrap(), q(1, 10));
        assert_eq!(parse_exact("-1.25e-3").unwrap(), q(-1, 800));
        assert_eq!(parse_exact("1e3").unwrap(), q(1000, 1));
        assert_eq!(parse_exact("-3/7").unwrap(), q(-3, 7));
        assert_eq!(parse_exact(".5").unwrap(), q(1, 2));
        assert!(parse_exact("1/0").is_err());
        assert!(parse_exact("abc").is_err());
    }

    #[test]
    fn dyadic_detection() {
        assert!(is_dyadic(&q(3, 8)));
        assert!(is_dyadic(&q(5, 1)));
        assert!(!is_dyadic(&q(1, 3)));
    }
}
