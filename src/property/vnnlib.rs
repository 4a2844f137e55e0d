//! VNN-LIB as VNN-COMP uses it: real input variables `X_i` bounded by constants and linear
//! constraints over the outputs `Y_j`, under `and`/`or` nested in any order. Its violation is read
//! as regions: input boxes, each with a disjunction of conjunctions over the outputs.
//!
//! VNN-LIB asserts describe a *violation*: the property holds iff no input of the box makes every
//! constraint of some disjunct true. Numbers are read exactly (`0.3` is 3/10); nothing is rounded.
use crate::num::interval::{Box, Interval};
use crate::error::{Error, Result};
use crate::num::Q;
use crate::limits::{MAX_DNF_TERMS, MAX_NESTING, MAX_NUMBER_CHARS, MAX_VIOLATION_COEFFS, MAX_WIDTH};
use crate::num::rational::{parse_input, to_canonical};

/// `Σ coeffs[j]·Y_j ≤ rhs` (or `<` when `strict`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinearConstraint {
    pub coeffs: Vec<Q>,
    pub rhs: Q,
    pub strict: bool,
}

/// A parsed VNN-LIB property.
#[derive(Debug, Clone, PartialEq)]
pub struct Vnnlib {
    /// The closure of the input region: bounds propagated over it hold on the region itself.
    pub input_box: Box,
    /// Per input, whether its lower and upper bound are strict (`<`, `>`): the region excludes
    /// that end of `input_box`. A counterexample must lie in the region, not just the closure.
    pub input_open: Vec<[bool; 2]>,
    /// Disjunction of conjunctions describing the violation region over the outputs.
    pub violation: Vec<Vec<LinearConstraint>>,
    pub num_outputs: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Sexp {
    Atom(String, usize),
    List(Vec<Sexp>, usize),
}

impl Sexp {
    fn line(&self) -> usize {
        match self {
            Sexp::Atom(_, l) | Sexp::List(_, l) => *l,
        }
    }
}

fn tokenize(text: &str) -> Vec<(String, usize)> {
    let mut toks = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split(';').next().unwrap_or("");
        let mut cur = String::new();
        for c in code.chars() {
            if c == '(' || c == ')' || c.is_whitespace() {
                if !cur.is_empty() {
                    toks.push((std::mem::take(&mut cur), n + 1));
                }
                if !c.is_whitespace() {
                    toks.push((c.to_string(), n + 1));
                }
            } else {
                cur.push(c);
            }
        }
        if !cur.is_empty() {
            toks.push((cur, n + 1));
        }
    }
    toks
}

fn parse_sexps(file: &str, toks: &[(String, usize)]) -> Result<Vec<Sexp>> {
    let mut stack: Vec<(Vec<Sexp>, usize)> = vec![(Vec::new(), 0)];
    for (t, line) in toks {
        match t.as_str() {
            "(" => {
                // The tree is walked recursively later, so its depth is bounded here.
                if stack.len() > MAX_NESTING {
                    return Err(Error::bad_input(format!(
                        "{file}:{line}: expected formulas nested at most {MAX_NESTING} deep, found deeper"
                    )));
                }
                stack.push((Vec::new(), *line))
            }
            ")" => {
                // The bottom level holds the top-level forms; popping it means one ')' too many.
                if stack.len() == 1 {
                    return Err(Error::bad_input(format!("{file}:{line}: unbalanced ')'")));
                }
                let (items, start) = stack.pop().expect("len > 1");
                stack.last_mut().expect("len > 0").0.push(Sexp::List(items, start));
            }
            _ if t.len() > MAX_NUMBER_CHARS => {
                return Err(Error::bad_input(format!(
                    "{file}:{line}: expected a token of at most {MAX_NUMBER_CHARS} characters, found one of {}",
                    t.len()
                )));
            }
            _ => stack.last_mut().expect("bottom level stays").0.push(Sexp::Atom(t.clone(), *line)),
        }
    }
    if stack.len() != 1 {
        let open = stack.last().map_or(0, |s| s.1);
        return Err(Error::bad_input(format!("{file}:{open}: '(' is never closed")));
    }
    Ok(stack.pop().expect("one level").0)
}

impl Vnnlib {
    /// Every input bound closed (`≤`, `≥`): the region is `input_box`.
    pub fn closed(input_box: Box, violation: Vec<Vec<LinearConstraint>>, num_outputs: usize) -> Vnnlib {
        let input_open = vec![[false, false]; input_box.len()];
        Vnnlib { input_box, input_open, violation, num_outputs }
    }

    /// Why `x` is not in the input region (the first coordinate outside, with the bound it
    /// breaks), or `None` when it is.
    pub fn outside_region(&self, x: &[Q]) -> Option<String> {
        if x.len() != self.input_box.len() {
            return Some(format!("expected {} input coordinates, found {}", self.input_box.len(), x.len()));
        }
        for (i, ((v, iv), [lo_open, hi_open])) in x.iter().zip(&self.input_box).zip(&self.input_open).enumerate() {
            let (lo, hi) = (to_canonical(&iv.lo), to_canonical(&iv.hi));
            if *v < iv.lo || (*lo_open && *v == iv.lo) {
                return Some(format!("X_{i}: expected a value {} {lo}, found {}", if *lo_open { ">" } else { "≥" }, to_canonical(v)));
            }
            if *v > iv.hi || (*hi_open && *v == iv.hi) {
                return Some(format!("X_{i}: expected a value {} {hi}, found {}", if *hi_open { "<" } else { "≤" }, to_canonical(v)));
            }
        }
        None
    }

    /// Whether `x` lies in the input region (strict bounds excluded).
    pub fn in_region(&self, x: &[Q]) -> bool {
        self.outside_region(x).is_none()
    }

    /// The same property over `b ⊆ input_box`: an end of `b` is open where it is an open end of
    /// the region.
    pub fn restricted(&self, b: &Box) -> Vnnlib {
        let input_open = b
            .iter()
            .zip(&self.input_box)
            .zip(&self.input_open)
            .map(|((s, r), [lo, hi])| [*lo && s.lo == r.lo, *hi && s.hi == r.hi])
            .collect();
        Vnnlib { input_box: b.clone(), input_open, ..self.clone() }
    }

    /// Whether some input bound is strict.
    pub fn has_open_bound(&self) -> bool {
        self.input_open.iter().any(|[l, h]| *l || *h)
    }
}

/// A linear term: coefficients on X and Y plus a constant.
#[derive(Debug, Clone, Default)]
struct Lin {
    x: Vec<(usize, Q)>,
    y: Vec<(usize, Q)>,
    c: Q,
}

impl Lin {
    fn scale(mut self, k: &Q) -> Lin {
        self.x.iter_mut().for_each(|(_, v)| *v *= k);
        self.y.iter_mut().for_each(|(_, v)| *v *= k);
        self.c *= k;
        self
    }
    fn add(mut self, o: Lin) -> Lin {
        self.x.extend(o.x);
        self.y.extend(o.y);
        self.c += o.c;
        self
    }
    fn is_const(&self) -> bool {
        self.x.is_empty() && self.y.is_empty()
    }
    /// One coefficient per variable, zero coefficients dropped: `(+ X_0 X_0)` is `2·X_0`, and
    /// `(* 0 X_0)` is the constant 0 (never a bound divided by zero).
    fn normalised(mut self) -> Lin {
        fn merge(v: &mut Vec<(usize, Q)>) {
            v.sort_by_key(|(i, _)| *i);
            let mut out: Vec<(usize, Q)> = Vec::with_capacity(v.len());
            for (i, k) in v.drain(..) {
                match out.last_mut() {
                    Some((j, acc)) if *j == i => *acc += k,
                    _ => out.push((i, k)),
                }
            }
            out.retain(|(_, k)| *k != Q::from_integer(0.into()));
            *v = out;
        }
        merge(&mut self.x);
        merge(&mut self.y);
        self
    }
}

struct Ctx<'a> {
    file: &'a str,
    inputs: usize,
    outputs: usize,
}

impl Ctx<'_> {
    fn err(&self, e: &Sexp, msg: String) -> Error {
        Error::bad_input(format!("{}:{}: {msg}", self.file, e.line()))
    }

    fn var(&self, name: &str) -> Option<(bool, usize)> {
        let (is_x, idx) = if let Some(i) = name.strip_prefix("X_") { (true, i) } else { (false, name.strip_prefix("Y_")?) };
        // Decimal digits without a sign or a leading zero: `Y_00` and `Y_+0` are not `Y_0`.
        let canonical = !idx.is_empty() && idx.bytes().all(|b| b.is_ascii_digit()) && (idx == "0" || !idx.starts_with('0'));
        if !canonical {
            return None;
        }
        idx.parse().ok().map(|i| (is_x, i))
    }

    fn term(&self, e: &Sexp) -> Result<Lin> {
        match e {
            Sexp::Atom(a, _) => {
                if let Some((is_x, i)) = self.var(a) {
                    let n = if is_x { self.inputs } else { self.outputs };
                    if i >= n {
                        return Err(self.err(e, format!("{a} is not declared (expected index below {n})")));
                    }
                    let one = Q::from_integer(1.into());
                    return Ok(if is_x { Lin { x: vec![(i, one)], ..Lin::default() } } else { Lin { y: vec![(i, one)], ..Lin::default() } });
                }
                parse_input(a).map(|c| Lin { c, ..Lin::default() }).map_err(|_| self.err(e, format!("expected a number or a declared X_i/Y_j, found {a}")))
            }
            Sexp::List(items, _) => {
                let (op, args) = match items.split_first() {
                    Some((Sexp::Atom(op, _), args)) => (op.as_str(), args),
                    _ => return Err(self.err(e, "expected an operator".into())),
                };
                let terms: Vec<Lin> = args.iter().map(|a| self.term(a)).collect::<Result<_>>()?;
                match (op, terms.len()) {
                    ("+", n) if n >= 1 => Ok(terms.into_iter().reduce(Lin::add).expect("n >= 1")),
                    ("-", 1) => Ok(terms.into_iter().next().expect("1").scale(&Q::from_integer((-1).into()))),
                    ("-", n) if n >= 2 => {
                        let mut it = terms.into_iter();
                        let first = it.next().expect("n >= 2");
                        Ok(it.fold(first, |acc, t| acc.add(t.scale(&Q::from_integer((-1).into())))))
                    }
                    ("*", 2) => {
                        let (a, b) = (terms[0].clone(), terms[1].clone());
                        if a.is_const() {
                            Ok(b.scale(&a.c))
                        } else if b.is_const() {
                            Ok(a.scale(&b.c))
                        } else {
                            Err(self.err(e, "expected a linear term, found a product of variables".into()))
                        }
                    }
                    _ => Err(self.err(e, format!("unsupported term operator {op} with {} arguments", terms.len()))),
                }
            }
        }
    }

    /// A comparison as `lhs - rhs ≤ 0` (or `< 0`) constraints; `=` gives two.
    fn comparison(&self, e: &Sexp) -> Result<Vec<(Lin, bool)>> {
        let Sexp::List(items, _) = e else { return Err(self.err(e, "expected a comparison".into())) };
        let (op, args) = match items.split_first() {
            Some((Sexp::Atom(op, _), args)) if args.len() == 2 => (op.as_str(), args),
            _ => return Err(self.err(e, "expected (op lhs rhs)".into())),
        };
        let (l, r) = (self.term(&args[0])?, self.term(&args[1])?);
        let neg = Q::from_integer((-1).into());
        let l_minus_r = l.clone().add(r.clone().scale(&neg)).normalised();
        let r_minus_l = r.add(l.scale(&neg)).normalised();
        Ok(match op {
            "<=" => vec![(l_minus_r, false)],
            "<" => vec![(l_minus_r, true)],
            ">=" => vec![(r_minus_l, false)],
            ">" => vec![(r_minus_l, true)],
            "=" => vec![(l_minus_r, false), (r_minus_l, false)],
            _ => return Err(self.err(e, format!("expected <=, <, >=, > or =, found {op}"))),
        })
    }

    /// Flattens a formula into disjunctive normal form over comparisons.
    fn dnf(&self, e: &Sexp) -> Result<Vec<Vec<(Lin, bool, usize)>>> {
        if let Sexp::List(items, line) = e
            && let Some(Sexp::Atom(op, _)) = items.first()
        {
            match op.as_str() {
                "and" => {
                    let mut acc = vec![Vec::new()];
                    for sub in &items[1..] {
                        let d = self.dnf(sub)?;
                        dnf_limit(self.file, *line, acc.len(), d.len())?;
                        acc = acc.iter().flat_map(|a| d.iter().map(move |b| [a.clone(), b.clone()].concat())).collect();
                    }
                    return Ok(acc);
                }
                "or" => {
                    let mut acc = Vec::new();
                    for sub in &items[1..] {
                        let d = self.dnf(sub)?;
                        dnf_limit(self.file, *line, 1, acc.len() + d.len())?;
                        acc.extend(d);
                    }
                    return Ok(acc);
                }
                _ => return Ok(vec![self.comparison(e)?.into_iter().map(|(l, s)| (l, s, *line)).collect()]),
            }
        }
        Err(self.err(e, "expected a formula".into()))
    }
}

/// Refuses an expansion into `a × b` disjuncts beyond [`MAX_DNF_TERMS`] before building it.
fn dnf_limit(file: &str, line: usize, a: usize, b: usize) -> Result<()> {
    match a.checked_mul(b) {
        Some(n) if n <= MAX_DNF_TERMS => Ok(()),
        _ => Err(Error::bad_input(format!(
            "{file}:{line}: expected a violation of at most {MAX_DNF_TERMS} disjuncts once `and` is distributed over `or`, found {a} × {b}"
        ))),
    }
}

/// One end of an input range: the bound and whether it is strict.
type End = Option<(Q, bool)>;

/// Tightens `lo`/`hi` by `l ≤ 0` (`< 0` when `strict`), `l` over at most one input. `Ok(false)`
/// when `l` is a constant comparison that is false (no input satisfies it).
fn tighten(lo: &mut [End], hi: &mut [End], l: &Lin, strict: bool) -> bool {
    let zero = Q::from_integer(0.into());
    let Some((i, k)) = l.x.first() else {
        return if strict { l.c < zero } else { l.c <= zero };
    };
    let bound = -&l.c / k;
    let upper = *k > zero;
    let end = if upper { &mut hi[*i] } else { &mut lo[*i] };
    *end = Some(match end.take() {
        None => (bound, strict),
        Some((b, s)) if b == bound => (b, s || strict),
        // The tighter bound wins: the smaller upper bound, the larger lower bound.
        Some((b, s)) => {
            if (b < bound) == upper { (b, s) } else { (bound, strict) }
        }
    });
    true
}

/// The region `lo`/`hi` describe, or why not: an input without both bounds (an error), or an
/// empty range (`Ok(None)` when `empty_ok`, else an error).
fn region(file: &str, lo: &[End], hi: &[End], empty_ok: bool) -> Result<Option<(Box, Vec<[bool; 2]>)>> {
    let mut input_box = Vec::with_capacity(lo.len());
    let mut input_open = Vec::with_capacity(lo.len());
    for i in 0..lo.len() {
        match (&lo[i], &hi[i]) {
            (Some((l, lo_open)), Some((h, hi_open))) => {
                if l > h || (l == h && (*lo_open || *hi_open)) {
                    if empty_ok {
                        return Ok(None);
                    }
                    let (ls, hs) = (to_canonical(l), to_canonical(h));
                    let (lb, hb) = (if *lo_open { "(" } else { "[" }, if *hi_open { ")" } else { "]" });
                    return Err(Error::bad_input(format!("{file}: X_{i}: expected a non-empty input range, found {lb}{ls}, {hs}{hb}")));
                }
                input_box.push(Interval::new(l.clone(), h.clone()));
                input_open.push([*lo_open, *hi_open]);
            }
            _ => return Err(Error::bad_input(format!("{file}: X_{i}: expected both a lower and an upper bound, found {}", if lo[i].is_some() { "only a lower bound" } else if hi[i].is_some() { "only an upper bound" } else { "none" }))),
        }
    }
    Ok(Some((input_box, input_open)))
}

/// One disjunct of the violation before its inputs are grouped: bounds on single inputs, and
/// linear constraints over the outputs.
#[derive(Clone)]
struct Disjunct {
    inputs: Vec<(Lin, bool)>,
    outputs: Vec<LinearConstraint>,
}

/// Parses VNN-LIB text with one input region; `file` names the source in errors. A file whose
/// violation ranges over several input boxes ([`parse_vnnlib_regions`]) is refused here.
pub fn parse_vnnlib(text: &str, file: &str) -> Result<Vnnlib> {
    let mut regions = parse_vnnlib_regions(text, file)?;
    if regions.len() != 1 {
        return Err(Error::bad_input(format!(
            "{file}: expected one input region, found {} (a disjunction over input boxes: `verify` and `vnncomp` decide it region by region)",
            regions.len()
        )));
    }
    Ok(regions.pop().expect("one"))
}

/// Parses VNN-LIB text into the regions of its violation: per distinct input box (in order of
/// first appearance), the disjunction of the output constraints that come with it. The property
/// holds iff it holds on every region. Top-level bounds on single inputs bound every region;
/// bounds inside a disjunct (VNN-COMP's `(or (and X-bounds Y-constraints) …)`) bound its own.
/// A disjunct whose inputs admit no value is dropped: nothing can violate it.
pub fn parse_vnnlib_regions(text: &str, file: &str) -> Result<Vec<Vnnlib>> {
    let sexps = parse_sexps(file, &tokenize(text))?;
    let mut ctx = Ctx { file, inputs: 0, outputs: 0 };
    let mut asserts = Vec::new();
    for s in &sexps {
        let Sexp::List(items, line) = s else { return Err(ctx.err(s, "expected (declare-const …) or (assert …)".into())) };
        match items.as_slice() {
            [Sexp::Atom(d, _), Sexp::Atom(name, _), Sexp::Atom(ty, _)] if d == "declare-const" => {
                if ty != "Real" {
                    return Err(ctx.err(s, format!("{name}: expected type Real, found {ty}")));
                }
                let (is_x, i) = ctx.var(name).ok_or_else(|| ctx.err(s, format!("expected a variable named X_i or Y_j, found {name}")))?;
                let n = if is_x { &mut ctx.inputs } else { &mut ctx.outputs };
                if *n >= MAX_WIDTH {
                    return Err(Error::bad_input(format!("{file}:{line}: {name}: expected at most {MAX_WIDTH} variables of a kind")));
                }
                if i != *n {
                    return Err(Error::bad_input(format!("{file}:{line}: {name}: expected variables declared in order, index {}, found {i}", *n)));
                }
                *n += 1;
            }
            [Sexp::Atom(a, _), f] if a == "assert" => asserts.push(f),
            _ => return Err(ctx.err(s, "expected (declare-const NAME Real) or (assert FORMULA)".into())),
        }
    }
    if ctx.inputs == 0 || ctx.outputs == 0 {
        return Err(Error::bad_input(format!("{file}: expected declared inputs X_i and outputs Y_j, found {} and {}", ctx.inputs, ctx.outputs)));
    }
    let mut lo: Vec<End> = vec![None; ctx.inputs];
    let mut hi: Vec<End> = vec![None; ctx.inputs];
    let mut violation: Vec<Disjunct> = vec![Disjunct { inputs: Vec::new(), outputs: Vec::new() }];
    for f in asserts {
        let dnf = ctx.dnf(f)?;
        // A top-level input bound (one variable, or a constant comparison) tightens every region.
        if dnf.len() == 1 && dnf[0].iter().all(|(l, _, _)| l.y.is_empty() && l.x.len() <= 1) {
            for (l, strict, line) in &dnf[0] {
                if !tighten(&mut lo, &mut hi, l, *strict) {
                    return Err(Error::bad_input(format!(
                        "{file}:{line}: expected a satisfiable input constraint, found one that is false for every input"
                    )));
                }
            }
            continue;
        }
        let constraints: usize = dnf.iter().map(Vec::len).sum();
        if constraints.saturating_mul(ctx.outputs) > MAX_VIOLATION_COEFFS {
            return Err(Error::bad_input(format!(
                "{file}:{}: expected a violation of at most {MAX_VIOLATION_COEFFS} coefficients in all, found {constraints} constraints over {} outputs",
                f.line(),
                ctx.outputs
            )));
        }
        let mut conj = Vec::with_capacity(dnf.len());
        for d in dnf {
            let mut dj = Disjunct { inputs: Vec::new(), outputs: Vec::new() };
            for (l, strict, line) in d {
                match (l.x.len(), l.y.is_empty()) {
                    (0, false) => {
                        let mut coeffs = vec![Q::from_integer(0.into()); ctx.outputs];
                        for (j, k) in l.y {
                            coeffs[j] += k;
                        }
                        dj.outputs.push(LinearConstraint { coeffs, rhs: -l.c, strict });
                    }
                    (0 | 1, true) => dj.inputs.push((l, strict)),
                    _ => {
                        return Err(Error::bad_input(format!(
                            "{file}:{line}: unsupported: a constraint over several inputs, or over inputs and outputs together (only bounds on single inputs X_i are supported)"
                        )));
                    }
                }
            }
            conj.push(dj);
        }
        dnf_limit(file, f.line(), violation.len(), conj.len())?;
        let width = violation.iter().map(|d| d.outputs.len()).max().unwrap_or(0) + conj.iter().map(|d| d.outputs.len()).max().unwrap_or(0);
        if (violation.len() * conj.len()).saturating_mul(width).saturating_mul(ctx.outputs) > MAX_VIOLATION_COEFFS {
            return Err(Error::bad_input(format!(
                "{file}:{}: expected a violation of at most {MAX_VIOLATION_COEFFS} coefficients in all, found {} disjuncts of up to {width} constraints over {} outputs",
                f.line(),
                violation.len() * conj.len(),
                ctx.outputs
            )));
        }
        violation = violation
            .iter()
            .flat_map(|a| {
                conj.iter().map(move |b| Disjunct {
                    inputs: [a.inputs.clone(), b.inputs.clone()].concat(),
                    outputs: [a.outputs.clone(), b.outputs.clone()].concat(),
                })
            })
            .collect();
    }
    // The top-level bounds alone must describe a region only when no disjunct adds its own.
    let own_bounds = violation.iter().any(|d| !d.inputs.is_empty());
    if !own_bounds {
        region(file, &lo, &hi, false)?;
    }
    let mut regions: Vec<Vnnlib> = Vec::new();
    for (k, d) in violation.into_iter().enumerate() {
        let (mut dlo, mut dhi) = (lo.clone(), hi.clone());
        if !d.inputs.iter().all(|(l, strict)| tighten(&mut dlo, &mut dhi, l, *strict)) {
            continue;
        }
        let Some((input_box, input_open)) = region(file, &dlo, &dhi, own_bounds)? else { continue };
        if d.outputs.is_empty() {
            return Err(Error::bad_input(format!(
                "{file}: violation disjunct {k}: expected at least one constraint over the outputs Y_j, found none (every input would satisfy it)"
            )));
        }
        match regions.iter_mut().find(|r| r.input_box == input_box && r.input_open == input_open) {
            Some(r) => r.violation.push(d.outputs),
            None => regions.push(Vnnlib { input_box, input_open, violation: vec![d.outputs], num_outputs: ctx.outputs }),
        }
    }
    if regions.is_empty() {
        return Err(Error::bad_input(format!("{file}: expected a violation some input can reach, found every disjunct's input range empty")));
    }
    Ok(regions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::rational::parse_exact;

    fn q(s: &str) -> Q {
        parse_exact(s).unwrap()
    }

    #[test]
    fn acas_property_3_reads_exactly() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/benchmarks/acasxu/prop_3.vnnlib");
        let text = std::fs::read_to_string(path).expect("../shared/benchmarks sits beside the repository");
        let p = parse_vnnlib(&text, "prop_3.vnnlib").unwrap();
        assert_eq!(p.input_box[0], Interval::new(q("-0.303531156"), q("-0.298552812")));
        assert_eq!(p.input_box[4], Interval::new(q("0.3"), q("0.5")));
        // One disjunct: Y_0 <= Y_j for j = 1..4, i.e. Y_0 - Y_j <= 0.
        assert_eq!(p.violation.len(), 1);
        assert_eq!(p.violation[0].len(), 4);
        let c = &p.violation[0][1];
        assert_eq!(c.coeffs, vec![q("1"), q("0"), q("-1"), q("0"), q("0")]);
        assert_eq!((c.rhs.clone(), c.strict), (q("0"), false));
    }

    #[test]
    fn acas_property_1_is_a_threshold_on_y0() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/benchmarks/acasxu/prop_1.vnnlib");
        let p = parse_vnnlib(&std::fs::read_to_string(path).unwrap(), "prop_1.vnnlib").unwrap();
        // Y_0 >= 3.991125645861615  ⇔  -Y_0 <= -3.991125645861615
        assert_eq!(p.violation, vec![vec![LinearConstraint {
            coeffs: vec![q("-1"), q("0"), q("0"), q("0"), q("0")],
            rhs: q("-3.991125645861615"),
            strict: false
        }]]);
    }

    #[test]
    fn disjunctions_and_linear_terms() {
        let text = "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(declare-const Y_1 Real)\n\
            (assert (<= X_0 1))\n(assert (>= X_0 -1/2))\n\
            (assert (or (and (>= (+ (* 2 Y_0) (- Y_1)) 3)) (and (< Y_1 0.5) (= Y_0 Y_1))))\n";
        let p = parse_vnnlib(text, "t.vnnlib").unwrap();
        assert_eq!(p.input_box, vec![Interval::new(q("-1/2"), q("1"))]);
        assert_eq!(p.violation.len(), 2);
        assert_eq!(p.violation[0], vec![LinearConstraint { coeffs: vec![q("-2"), q("1")], rhs: q("-3"), strict: false }]);
        assert_eq!(p.violation[1].len(), 3);
        assert_eq!(p.violation[1][0], LinearConstraint { coeffs: vec![q("0"), q("1")], rhs: q("1/2"), strict: true });
    }

    #[test]
    fn errors_name_file_and_line() {
        let missing = "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1))\n";
        assert_eq!(parse_vnnlib(missing, "m.vnnlib").unwrap_err().to_string(), "m.vnnlib: X_0: expected both a lower and an upper bound, found only an upper bound");
        let undeclared = "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= Y_3 1))\n";
        assert_eq!(parse_vnnlib(undeclared, "u.vnnlib").unwrap_err().to_string(), "u.vnnlib:3: Y_3 is not declared (expected index below 1)");
        let nonlinear = "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1))\n(assert (>= X_0 0))\n(assert (<= (* Y_0 Y_0) 1))\n";
        assert_eq!(parse_vnnlib(nonlinear, "n.vnnlib").unwrap_err().to_string(), "n.vnnlib:5: expected a linear term, found a product of variables");
        assert_eq!(parse_vnnlib("(assert (<= X_0 1)", "o.vnnlib").unwrap_err().to_string(), "o.vnnlib:1: '(' is never closed");
        assert_eq!(parse_vnnlib("(assert (<= X_0 1)))", "c.vnnlib").unwrap_err().to_string(), "c.vnnlib:1: unbalanced ')'");
    }

    fn head(asserts: &str) -> String {
        format!("(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n{asserts}(assert (>= Y_0 0))\n")
    }

    #[test]
    fn strict_input_bounds_keep_their_end_open_and_the_tighter_bound_wins() {
        let p = parse_vnnlib(&head("(assert (< X_0 1))(assert (<= X_0 1))(assert (>= X_0 0))(assert (> X_0 -1))\n(assert (> (* 2 X_1) 1))(assert (< X_1 2))(assert (<= X_1 3/2))\n"), "s.vnnlib").unwrap();
        assert_eq!(p.input_box, vec![Interval::new(q("0"), q("1")), Interval::new(q("1/2"), q("3/2"))]);
        // X_0 < 1 and X_0 <= 1 at the same end: the strict one; X_0 >= 0 beats X_0 > -1.
        assert_eq!(p.input_open, vec![[false, true], [true, false]]);
        assert!(p.in_region(&[q("0"), q("3/2")]));
        assert_eq!(p.outside_region(&[q("1"), q("1")]).unwrap(), "X_0: expected a value < 1, found 1");
        assert_eq!(p.outside_region(&[q("0"), q("1/2")]).unwrap(), "X_1: expected a value > 1/2, found 1/2");
        assert_eq!(p.outside_region(&[q("-1/2"), q("1")]).unwrap(), "X_0: expected a value ≥ 0, found -1/2");
    }

    /// Regression: `(* 0 X_0)` divided a bound by zero (a panic, exit 101).
    #[test]
    fn a_zero_coefficient_on_an_input_is_a_constant_not_a_division_by_zero() {
        let ok = head("(assert (<= (* 0 X_0) 1))(assert (<= X_0 1))(assert (>= X_0 0))(assert (<= X_1 1))(assert (>= (+ X_1 X_1) 0))\n");
        let p = parse_vnnlib(&ok, "z.vnnlib").unwrap();
        assert_eq!(p.input_box, vec![Interval::new(q("0"), q("1")); 2]);
        let bad = head("(assert (>= (* 0 X_0) 1))(assert (<= X_0 1))(assert (>= X_0 0))(assert (<= X_1 1))(assert (>= X_1 0))\n");
        assert_eq!(parse_vnnlib(&bad, "z.vnnlib").unwrap_err().to_string(), "z.vnnlib:4: expected a satisfiable input constraint, found one that is false for every input");
    }

    #[test]
    fn an_empty_input_range_is_refused() {
        let e = head("(assert (< X_0 1))(assert (>= X_0 1))(assert (<= X_1 1))(assert (>= X_1 0))\n");
        assert_eq!(parse_vnnlib(&e, "e.vnnlib").unwrap_err().to_string(), "e.vnnlib: X_0: expected a non-empty input range, found [1, 1)");
        let r = head("(assert (<= X_0 0))(assert (>= X_0 1))(assert (<= X_1 1))(assert (>= X_1 0))\n");
        assert_eq!(parse_vnnlib(&r, "r.vnnlib").unwrap_err().to_string(), "r.vnnlib: X_0: expected a non-empty input range, found [1, 0]");
    }

    #[test]
    fn bounds_inside_disjuncts_make_regions_grouped_by_box() {
        // VNN-COMP's form: (or (and X-bounds Y-constraints) …), constraints in any order, with a
        // top-level bound on X_1 shared by every region.
        let text = "(declare-const X_0 Real)(declare-const X_1 Real)(declare-const Y_0 Real)(declare-const Y_1 Real)\n\
            (assert (<= X_1 1))(assert (>= X_1 0))\n\
            (assert (or (and (>= Y_0 Y_1) (<= X_0 1) (>= X_0 0))\n\
                        (and (<= X_0 3) (>= X_0 2) (<= Y_0 -1))\n\
                        (and (>= X_0 0) (<= X_0 1) (>= Y_1 5))\n\
                        (and (>= X_0 5) (<= X_0 4) (>= Y_1 5))))\n";
        let r = parse_vnnlib_regions(text, "r.vnnlib").unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].input_box, vec![Interval::new(q("0"), q("1")), Interval::new(q("0"), q("1"))]);
        assert_eq!(r[0].violation, vec![
            vec![LinearConstraint { coeffs: vec![q("-1"), q("1")], rhs: q("0"), strict: false }],
            vec![LinearConstraint { coeffs: vec![q("0"), q("-1")], rhs: q("-5"), strict: false }],
        ]);
        // The box [5, 4] is empty: that disjunct can never be violated and is dropped.
        assert_eq!(r[1].input_box, vec![Interval::new(q("2"), q("3")), Interval::new(q("0"), q("1"))]);
        assert_eq!(r[1].violation, vec![vec![LinearConstraint { coeffs: vec![q("1"), q("0")], rhs: q("-1"), strict: false }]]);
        assert_eq!(parse_vnnlib(text, "r.vnnlib").unwrap_err().to_string(), "r.vnnlib: expected one input region, found 2 (a disjunction over input boxes: `verify` and `vnncomp` decide it region by region)");
        let unbounded = "(declare-const X_0 Real)(declare-const Y_0 Real)\n(assert (or (and (>= X_0 0) (>= Y_0 1)) (and (>= X_0 0) (<= X_0 1) (>= Y_0 2))))\n";
        assert_eq!(parse_vnnlib_regions(unbounded, "u.vnnlib").unwrap_err().to_string(), "u.vnnlib: X_0: expected both a lower and an upper bound, found only a lower bound");
        let mixed = "(declare-const X_0 Real)(declare-const Y_0 Real)\n(assert (<= X_0 1))(assert (>= X_0 0))(assert (or (and (<= (+ X_0 Y_0) 1))))\n";
        assert_eq!(parse_vnnlib_regions(mixed, "m.vnnlib").unwrap_err().to_string(), "m.vnnlib:2: unsupported: a constraint over several inputs, or over inputs and outputs together (only bounds on single inputs X_i are supported)");
    }

    #[test]
    fn a_dnf_beyond_the_limit_is_refused_before_it_is_built() {
        // 20 asserts of (or A B): 2^20 disjuncts once distributed, above MAX_DNF_TERMS.
        let mut text = String::from("(declare-const X_0 Real)(declare-const Y_0 Real)(declare-const Y_1 Real)\n(assert (<= X_0 1))(assert (>= X_0 0))\n");
        for _ in 0..20 {
            text.push_str("(assert (or (<= Y_0 1) (<= Y_1 1)))\n");
        }
        assert_eq!(parse_vnnlib_regions(&text, "d.vnnlib").unwrap_err().to_string(), format!("d.vnnlib:19: expected a violation of at most {MAX_DNF_TERMS} disjuncts once `and` is distributed over `or`, found 65536 × 2"));
    }
}
