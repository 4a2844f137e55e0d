//! `torchlean f32`: one binary32 operation, in a chosen rounding mode, with its exact value and
//! IEEE flags — for users debugging numerics. [`run`] returns the text to print; the binary only
//! wires it in.
//!
//! ```text
//! torchlean f32 OP MODE A [B [C]]    OP: add sub mul div sqrt fma from-rat; MODE: rne rtz rup rdn
//! torchlean f32 show X
//! ```
//!
//! Output of an operation: the result's bits (`0x` and 8 lowercase hex digits, alone on the first
//! line), its exact value (`11184811/33554432`, `-0`, `inf`, `-inf`, `nan`), then `flags: …`.
use clap::{Args, ValueEnum};

use crate::error::{Error, Result};
use crate::num::Q;
use crate::num::binary32::{Class, F32, Round, Status, StatusAnd};
use crate::num::rational::{parse_exact, to_canonical};

/// The `f32` subcommand's arguments.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Operands: bits as 0x followed by up to 8 hex digits (0x3eaaaaab), or an exact \
number (-3/7, 0.25, 1e-3, -0, inf, -inf, nan). Operands of add, sub, mul, div, sqrt and fma must be \
exactly representable in binary32; from-rat rounds its operand in MODE.\n\n\
Examples:\n  torchlean f32 add rne 0x3f800000 1/3   (error: 1/3 is not a binary32)\n  \
torchlean f32 from-rat rdn 1/3          → 0x3eaaaaaa\n  torchlean f32 div rup 1 3               → 0x3eaaaaab\n  \
torchlean f32 show 0x3eaaaaab")]
pub struct F32Args {
    /// The operation (`show` decodes one value and takes no MODE).
    #[arg(value_enum, value_name = "OP")]
    pub op: Op,
    /// MODE (rne: nearest-even, rtz: toward zero, rup: toward +∞, rdn: toward −∞), then the
    /// operands `A [B [C]]`; for `show`, just the value.
    #[arg(value_name = "MODE_AND_OPERANDS", num_args = 0.., allow_hyphen_values = true, trailing_var_arg = true)]
    pub args: Vec<String>,
}

/// The operations of `torchlean f32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Op {
    /// A + B
    Add,
    /// A − B
    Sub,
    /// A × B
    Mul,
    /// A ÷ B
    Div,
    /// √A
    Sqrt,
    /// A × B + C, rounded once
    Fma,
    /// The exact rational A rounded to binary32
    FromRat,
    /// Decode the fields, class and exact value of one binary32
    Show,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Sub => "sub",
            Op::Mul => "mul",
            Op::Div => "div",
            Op::Sqrt => "sqrt",
            Op::Fma => "fma",
            Op::FromRat => "from-rat",
            Op::Show => "show",
        }
    }
    /// How many operands follow MODE.
    fn arity(self) -> usize {
        match self {
            Op::Sqrt | Op::FromRat | Op::Show => 1,
            Op::Add | Op::Sub | Op::Mul | Op::Div => 2,
            Op::Fma => 3,
        }
    }
}

const OPERAND_NAMES: [&str; 3] = ["A", "B", "C"];

/// Runs one `torchlean f32` command and returns its output lines (no trailing newline).
pub fn run(args: &F32Args) -> Result<String> {
    let op = args.op;
    let ctx = |e: Error| e.context(format!("torchlean f32 {}", op.name()));
    if op == Op::Show {
        check_count(op, &args.args)?;
        let x = parse_operand(&args.args[0]).map_err(|e| ctx(e.context("operand A")))?;
        return Ok(show(x));
    }
    let Some((mode_text, operands)) = args.args.split_first() else {
        return Err(ctx(Error::bad_input("expected MODE (rne, rtz, rup or rdn) and operands, found nothing")));
    };
    let mode = parse_mode(mode_text).map_err(ctx)?;
    check_count(op, operands).map_err(ctx)?;
    let result = if op == Op::FromRat {
        let q = parse_exact(&operands[0]).map_err(|e| ctx(e.context("operand A")))?;
        F32::from_rational_r(&q, mode)
    } else {
        let mut xs = [F32::ZERO; 3];
        for (i, text) in operands.iter().enumerate() {
            xs[i] = parse_operand(text).map_err(|e| ctx(e.context(format!("operand {}", OPERAND_NAMES[i]))))?;
        }
        let [a, b, c] = xs;
        match op {
            Op::Add => a.add_r(b, mode),
            Op::Sub => a.sub_r(b, mode),
            Op::Mul => a.mul_r(b, mode),
            Op::Div => a.div_r(b, mode),
            Op::Sqrt => a.sqrt_r(mode),
            Op::Fma => a.fma_r(b, c, mode),
            Op::FromRat | Op::Show => unreachable!("handled above"),
        }
    };
    Ok(format_result(result))
}

/// The three-line result: bits, exact value, flags.
fn format_result(r: StatusAnd<F32>) -> String {
    format!("{}\n{}\nflags: {}", r.value.to_hex(), exact_text(r.value), r.status)
}

/// The exact value: the canonical rational, `-0` for negative zero, `inf`, `-inf` or `nan`.
fn exact_text(x: F32) -> String {
    match x.to_rational() {
        Some(_) if x == F32::NEG_ZERO => "-0".to_string(),
        Some(q) => to_canonical(&q),
        None if x.is_nan() => "nan".to_string(),
        None => if x.is_sign_negative() { "-inf" } else { "inf" }.to_string(),
    }
}

fn check_count(op: Op, operands: &[String]) -> Result<()> {
    let want = op.arity();
    if operands.len() == want {
        return Ok(());
    }
    let names = OPERAND_NAMES[..want].join(" ");
    let before = if op == Op::Show { "" } else { "MODE and " };
    Err(Error::bad_input(format!(
        "expected {before}{want} operand{} ({names}), found {} operand{}{}",
        if want == 1 { "" } else { "s" },
        operands.len(),
        if operands.len() == 1 { "" } else { "s" },
        if operands.is_empty() { String::new() } else { format!(": {}", operands.join(" ")) },
    )))
}

fn parse_mode(s: &str) -> Result<Round> {
    match s {
        "rne" => Ok(Round::NearestTiesToEven),
        "rtz" => Ok(Round::TowardZero),
        "rup" => Ok(Round::TowardPositive),
        "rdn" => Ok(Round::TowardNegative),
        _ => Err(Error::bad_input(format!("expected MODE rne, rtz, rup or rdn, found \"{s}\""))),
    }
}

/// Reads an operand of an arithmetic op: bits, or a number that binary32 represents exactly.
fn parse_operand(s: &str) -> Result<F32> {
    let t = s.trim();
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        if (1..=8).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(F32(u32::from_str_radix(hex, 16).expect("checked hex digits")));
        }
        return Err(Error::bad_input(format!("expected 0x followed by 1 to 8 hex digits, found \"{s}\"")));
    }
    match t {
        "inf" | "+inf" => return Ok(F32::INFINITY),
        "-inf" => return Ok(F32::NEG_INFINITY),
        "nan" => return Ok(F32::NAN),
        _ => {}
    }
    let q: Q = parse_exact(t).map_err(|_| {
        Error::bad_input(format!(
            "expected binary32 bits (0x3eaaaaab), an exact number (-3/7, 0.25, 1e-3), inf, -inf or nan, found \"{s}\""
        ))
    })?;
    let rounded = F32::from_rational_r(&q, Round::TowardNegative);
    if rounded.status == Status::OK {
        // a written zero keeps its sign: "-0" is −0
        return Ok(if rounded.value.is_zero() && t.starts_with('-') { F32::NEG_ZERO } else { rounded.value });
    }
    let up = F32::from_rational_r(&q, Round::TowardPositive).value;
    Err(Error::bad_input(format!(
        "expected a value exactly representable in binary32, found \"{s}\" = {}, which lies strictly between {} and {}; \
         pass bits, or round it first with `torchlean f32 from-rat MODE {s}`",
        to_canonical(&q),
        rounded.value.to_hex(),
        up.to_hex()
    )))
}

/// The `show` text: bits, sign, exponent (biased and unbiased), fraction, class, exact value.
fn show(x: F32) -> String {
    let bits = x.to_bits();
    let sign = bits >> 31;
    let biased = (bits >> 23) & 0xff;
    let fraction = bits & 0x7f_ffff;
    let class = x.class();
    let exponent = match class {
        Class::Normal => format!("{biased} biased, {} unbiased", biased as i32 - 127),
        Class::Zero | Class::Subnormal => {
            format!("{biased} biased, -126 unbiased (no hidden bit: 0.fraction × 2^-126)")
        }
        Class::Infinite | Class::Nan { .. } => format!("{biased} biased (reserved for infinities and NaNs)"),
    };
    let class_text = match class {
        Class::Nan { signaling: true } => "nan (signaling)".to_string(),
        Class::Nan { signaling: false } => "nan (quiet)".to_string(),
        c => c.name().to_string(),
    };
    format!(
        "{}\nsign: {sign} ({})\nexponent: {exponent}\nfraction: 0x{fraction:06x}\nclass: {class_text}\nvalue: {}\ndecimal: {}",
        x.to_hex(),
        if sign == 1 { "-" } else { "+" },
        exact_text(x),
        x.to_decimal()
    )
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: F32Args,
    }

    fn cmd(line: &str) -> Result<String> {
        let words = std::iter::once("f32").chain(line.split_whitespace());
        let cli = Cli::try_parse_from(words).map_err(|e| Error::bad_input(e.to_string()))?;
        run(&cli.args)
    }

    #[test]
    fn operations_print_bits_exact_value_and_flags() {
        for (line, out) in [
            ("from-rat rdn 1/3", "0x3eaaaaaa\n5592405/16777216\nflags: inexact"),
            ("from-rat rup 1/3", "0x3eaaaaab\n11184811/33554432\nflags: inexact"),
            ("from-rat rne -3/7", "0xbedb6db7\n-14380471/33554432\nflags: inexact"),
            ("from-rat rne 1e-50", "0x00000000\n0\nflags: underflow inexact"),
            ("from-rat rtz 1e39", "0x7f7fffff\n340282346638528859811704183484516925440\nflags: overflow inexact"),
            ("add rne 0x3f800000 0.5", "0x3fc00000\n3/2\nflags: none"),
            ("add rdn 0x3f800000 -1", "0x80000000\n-0\nflags: none"),
            ("div rup 1 3", "0x3eaaaaab\n11184811/33554432\nflags: inexact"),
            ("div rne 1 0", "0x7f800000\ninf\nflags: div-by-zero"),
            ("sub rne inf inf", "0x7fc00000\nnan\nflags: invalid"),
            ("mul rne 0x1a000000 0x1a000000", "0x00000000\n0\nflags: underflow inexact"),
            ("sqrt rup 2", "0x3fb504f4\n2965821/2097152\nflags: inexact"),
            ("fma rne 0x3f800001 0x3f7ffffe -1", "0xa8800000\n-1/70368744177664\nflags: none"),
            ("mul rne -0 5", "0x80000000\n-0\nflags: none"),
        ] {
            assert_eq!(cmd(line).unwrap(), out, "torchlean f32 {line}");
        }
    }

    #[test]
    fn show_decodes_the_fields() {
        assert_eq!(
            cmd("show 0x3eaaaaab").unwrap(),
            "0x3eaaaaab\nsign: 0 (+)\nexponent: 125 biased, -2 unbiased\nfraction: 0x2aaaab\nclass: normal\n\
             value: 11184811/33554432\ndecimal: 0.3333333432674407958984375"
        );
        let sub = cmd("show 0x80000001").unwrap();
        assert!(sub.contains("sign: 1 (-)\nexponent: 0 biased, -126 unbiased"), "{sub}");
        assert!(sub.contains("class: subnormal\nvalue: -1/713623846352979940529142984724747568191373312\n"), "{sub}");
        assert!(cmd("show 0x7f800001").unwrap().contains("class: nan (signaling)\nvalue: nan\n"));
    }

    #[test]
    fn bad_operands_are_named_with_expected_and_found() {
        for (line, needles) in [
            (
                "add rne 0x3f800000 1/3",
                &["operand B", "exactly representable", "\"1/3\"", "0x3eaaaaaa and 0x3eaaaaab"][..],
            ),
            ("add rne 1", &["expected MODE and 2 operands (A B), found 1 operand: 1"][..]),
            ("fma rne 1 2", &["expected MODE and 3 operands (A B C), found 2 operands"][..]),
            ("sqrt up 2", &["expected MODE rne, rtz, rup or rdn, found \"up\""][..]),
            ("mul rne 0xzz 1", &["operand A", "1 to 8 hex digits", "\"0xzz\""][..]),
            ("div rne 1 abc", &["operand B", "found \"abc\""][..]),
            ("from-rat rne x", &["operand A", "\"x\""][..]),
            ("sub", &["expected MODE", "found nothing"][..]),
            ("show", &["expected 1 operand (A), found 0 operands"][..]),
        ] {
            let e = cmd(line).unwrap_err();
            assert_eq!(e.kind(), &crate::ErrorKind::BadInput, "{line}");
            let text = e.to_string();
            for n in needles {
                assert!(text.contains(n), "torchlean f32 {line}: {text:?} lacks {n:?}");
            }
        }
    }
}
