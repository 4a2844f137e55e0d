//! Differential campaign: `verify`'s verdict on thousands of tiny random ReLU networks and
//! properties against a ground truth settled by an independent method, sharing no code with the
//! bound engines: every activation pattern of the hidden neurons is enumerated, on each the network
//! is affine, and whether its region meets the violation is decided exactly by vertex enumeration
//! (a non-empty bounded polyhedron has a vertex where `n` independent constraints are tight).
//!
//! A verified verdict on a network the ground truth violates, or a counterexample the independent
//! evaluation does not confirm, is a disagreement; the campaign demands none. `unknown` (e.g. a
//! violation only at points binary32 cannot hold) is counted, not failed.
//! `TORCHLEAN_DIFFERENTIAL=N` runs N networks instead of the default.
#[path = "support/rng.rs"]
mod rng;

use num_rational::BigRational as Q;
use num_traits::{One, Signed, Zero};
use rng::Rng;

use torchlean::bounds::crown::Intermediate;
use torchlean::checker::tree::recheck;
use torchlean::model::nnet::parse_nnet;
use torchlean::property::parse_vnnlib;
use torchlean::search::bab::{LeafBound, Options, Outcome, verify};

/// A dense ReLU network (hidden layers ReLU, last layer identity) with exact weights.
struct Net {
    layers: Vec<(Vec<Vec<Q>>, Vec<Q>)>,
}

/// `Σ coeffs·y ≤ rhs` per row; a disjunct is their conjunction.
type Disjunct = Vec<(Vec<Q>, Q)>;

fn q(n: i64, d: i64) -> Q {
    Q::new(n.into(), d.into())
}

/// A quarter-integer in `[-k/4, k/4]`: exact in binary32 and in the `.nnet` decimal.
fn quarter(r: &mut Rng, k: i64) -> Q {
    q(r.below(2 * k as u64 + 1) as i64 - k, 4)
}

fn dec(x: &Q) -> String {
    // Quarters print exactly as decimals.
    let v = x.numer().to_string().parse::<f64>().unwrap() / x.denom().to_string().parse::<f64>().unwrap();
    format!("{v}")
}

impl Net {
    fn random(r: &mut Rng, inputs: usize) -> Net {
        let hidden = 1 + r.below(2) as usize;
        let mut widths = vec![inputs];
        for _ in 0..hidden {
            widths.push(1 + r.below(3) as usize);
        }
        widths.push(1 + r.below(2) as usize);
        let layers = widths
            .windows(2)
            .map(|w| {
                let rows = (0..w[1]).map(|_| (0..w[0]).map(|_| quarter(r, 8)).collect()).collect();
                let bias = (0..w[1]).map(|_| quarter(r, 4)).collect();
                (rows, bias)
            })
            .collect();
        Net { layers }
    }

    fn inputs(&self) -> usize {
        self.layers[0].0[0].len()
    }

    fn outputs(&self) -> usize {
        self.layers.last().unwrap().1.len()
    }

    fn eval(&self, x: &[Q]) -> Vec<Q> {
        let mut v = x.to_vec();
        for (k, (w, b)) in self.layers.iter().enumerate() {
            v = w
                .iter()
                .zip(b)
                .map(|(row, bi)| {
                    let z: Q = row.iter().zip(&v).map(|(a, x)| a * x).sum::<Q>() + bi;
                    if k + 1 < self.layers.len() && z.is_negative() { Q::zero() } else { z }
                })
                .collect();
        }
        v
    }

    fn nnet(&self) -> String {
        let widths: Vec<usize> = std::iter::once(self.inputs()).chain(self.layers.iter().map(|l| l.1.len())).collect();
        let mut s = format!("{},{},{},{},\n", self.layers.len(), self.inputs(), self.outputs(), widths.iter().max().unwrap());
        s += &widths.iter().map(|w| format!("{w},")).collect::<String>();
        s += "\n0,\n";
        s += &format!("{}\n{}\n", "-100,".repeat(self.inputs()), "100,".repeat(self.inputs()));
        s += &format!("{}\n{}\n", "0,".repeat(self.inputs() + 1), "1,".repeat(self.inputs() + 1));
        for (w, b) in &self.layers {
            for row in w {
                s += &row.iter().map(|x| format!("{},", dec(x))).collect::<String>();
                s += "\n";
            }
            for x in b {
                s += &format!("{},\n", dec(x));
            }
        }
        s
    }
}

/// The ground truth: some point of the box violates some disjunct (exactly, over ℚ).
fn violated(net: &Net, lo: &[Q], hi: &[Q], dnf: &[Disjunct]) -> bool {
    let n = net.inputs();
    let hidden: usize = net.layers[..net.layers.len() - 1].iter().map(|l| l.1.len()).sum();
    for pattern in 0..(1u32 << hidden) {
        // Affine forms `a·x + c` of the current layer's values, and the pattern's constraints.
        let mut forms: Vec<(Vec<Q>, Q)> = (0..n).map(|i| ((0..n).map(|j| if i == j { Q::one() } else { Q::zero() }).collect(), Q::zero())).collect();
        let mut cons: Vec<(Vec<Q>, Q)> = Vec::new();
        for i in 0..n {
            let e: Vec<Q> = (0..n).map(|j| if i == j { Q::one() } else { Q::zero() }).collect();
            cons.push((e.iter().map(|v| -v).collect(), -lo[i].clone()));
            cons.push((e, hi[i].clone()));
        }
        let mut bit = 0;
        for (k, (w, b)) in net.layers.iter().enumerate() {
            let last = k + 1 == net.layers.len();
            forms = w
                .iter()
                .zip(b)
                .map(|(row, bi)| {
                    let a: Vec<Q> = (0..n).map(|j| row.iter().zip(&forms).map(|(wi, f)| wi * &f.0[j]).sum()).collect();
                    let c: Q = row.iter().zip(&forms).map(|(wi, f)| wi * &f.1).sum::<Q>() + bi;
                    if last {
                        return (a, c);
                    }
                    let active = pattern >> bit & 1 == 1;
                    bit += 1;
                    if active {
                        // a·x + c ≥ 0
                        cons.push((a.iter().map(|v| -v).collect(), c.clone()));
                        (a, c)
                    } else {
                        cons.push((a, -c));
                        (vec![Q::zero(); n], Q::zero())
                    }
                })
                .collect();
        }
        for d in dnf {
            let mut all = cons.clone();
            for (coeffs, rhs) in d {
                let a: Vec<Q> = (0..n).map(|j| coeffs.iter().zip(&forms).map(|(k, f)| k * &f.0[j]).sum()).collect();
                let c: Q = coeffs.iter().zip(&forms).map(|(k, f)| k * &f.1).sum();
                all.push((a, rhs - c));
            }
            if feasible(&all, n) {
                return true;
            }
        }
    }
    false
}

/// Whether `{x : a·x ≤ b for every (a, b)}` (bounded by the box rows) is non-empty: some choice of
/// `n` rows with independent `a`s, all tight, gives a point meeting every row.
fn feasible(cons: &[(Vec<Q>, Q)], n: usize) -> bool {
    let m = cons.len();
    let mut idx: Vec<usize> = (0..n).collect();
    loop {
        if let Some(x) = solve(&idx.iter().map(|&i| cons[i].clone()).collect::<Vec<_>>(), n)
            && cons.iter().all(|(a, b)| a.iter().zip(&x).map(|(ai, xi)| ai * xi).sum::<Q>() <= *b)
        {
            return true;
        }
        // Next n-subset in lexicographic order.
        let mut k = n;
        loop {
            if k == 0 {
                return false;
            }
            k -= 1;
            if idx[k] < m - n + k {
                idx[k] += 1;
                for j in k + 1..n {
                    idx[j] = idx[j - 1] + 1;
                }
                break;
            }
        }
    }
}

/// The unique solution of `a·x = b` over the rows, or `None` when the rows are dependent.
fn solve(rows: &[(Vec<Q>, Q)], n: usize) -> Option<Vec<Q>> {
    let mut m: Vec<Vec<Q>> = rows.iter().map(|(a, b)| a.iter().cloned().chain(std::iter::once(b.clone())).collect()).collect();
    for col in 0..n {
        let p = (col..n).find(|&r| !m[r][col].is_zero())?;
        m.swap(col, p);
        let piv = m[col][col].clone();
        for v in m[col].iter_mut() {
            *v /= &piv;
        }
        for r in 0..n {
            if r != col && !m[r][col].is_zero() {
                let f = m[r][col].clone();
                for c in 0..=n {
                    let sub = &f * &m[col][c];
                    m[r][c] -= sub;
                }
            }
        }
    }
    Some(m.into_iter().map(|row| row[n].clone()).collect())
}

fn vnnlib(lo: &[Q], hi: &[Q], outputs: usize, dnf: &[Disjunct]) -> String {
    let mut s = String::new();
    for i in 0..lo.len() {
        s += &format!("(declare-const X_{i} Real)\n");
    }
    for j in 0..outputs {
        s += &format!("(declare-const Y_{j} Real)\n");
    }
    for i in 0..lo.len() {
        s += &format!("(assert (>= X_{i} {}))\n(assert (<= X_{i} {}))\n", dec(&lo[i]), dec(&hi[i]));
    }
    let conj = |d: &Disjunct| {
        let rows: Vec<String> = d
            .iter()
            .map(|(c, rhs)| {
                let terms: Vec<String> = c.iter().enumerate().map(|(j, k)| format!("(* {} Y_{j})", dec(k))).collect();
                format!("(<= (+ {}) {})", terms.join(" "), dec(rhs))
            })
            .collect();
        format!("(and {})", rows.join(" "))
    };
    s += &format!("(assert (or {}))\n", dnf.iter().map(conj).collect::<Vec<_>>().join(" "));
    s
}

#[derive(Default, Debug)]
struct Tally {
    networks: usize,
    truth_violated: usize,
    verified: usize,
    violated: usize,
    unknown: usize,
    disagreements: Vec<String>,
}

#[test]
fn verify_agrees_with_activation_pattern_enumeration_on_random_tiny_relu_networks() {
    let count: usize = std::env::var("TORCHLEAN_DIFFERENTIAL").ok().and_then(|s| s.parse().ok()).unwrap_or(2000);
    let mut t = Tally::default();
    for seed in 0..count as u64 {
        let mut r = Rng(0x5eed_0000 + seed);
        let inputs = 1 + r.below(2) as usize;
        let net = Net::random(&mut r, inputs);
        let lo: Vec<Q> = (0..inputs).map(|_| quarter(&mut r, 4)).collect();
        let hi: Vec<Q> = lo.iter().map(|l| l + q(1 + r.below(8) as i64, 4)).collect();
        // Rows `c·y ≤ rhs` with the threshold at the output of a random point of the box, so about
        // half the properties are violated.
        let point: Vec<Q> = lo.iter().zip(&hi).map(|(l, h)| l + (h - l) * q(r.below(5) as i64, 4)).collect();
        let y = net.eval(&point);
        let dnf: Vec<Disjunct> = (0..1 + r.below(2))
            .map(|_| {
                (0..1 + r.below(2))
                    .map(|_| {
                        // A row of zeros is a constant, not a constraint over the outputs.
                        let c: Vec<Q> = loop {
                            let c: Vec<Q> = (0..net.outputs()).map(|_| q(r.below(5) as i64 - 2, 1)).collect();
                            if c.iter().any(|k| !k.is_zero()) {
                                break c;
                            }
                        };
                        let at: Q = c.iter().zip(&y).map(|(k, v)| k * v).sum();
                        (c, at + quarter(&mut r, 2) - q(1, 8))
                    })
                    .collect()
            })
            .collect();
        if std::env::var_os("TORCHLEAN_DIFFERENTIAL_SHOW").is_some() {
            eprintln!("seed {seed}:\n{}\n{}", net.nnet(), vnnlib(&lo, &hi, net.outputs(), &dnf));
        }
        let truth = violated(&net, &lo, &hi, &dnf);
        t.networks += 1;
        t.truth_violated += usize::from(truth);
        let graph = parse_nnet(&net.nnet(), "random.nnet").unwrap();
        let prop = parse_vnnlib(&vnnlib(&lo, &hi, net.outputs(), &dnf), "random.vnnlib").unwrap();
        // Each engine pairing the search and its certificates use, in turn.
        let (intermediate, leaf) = match seed % 3 {
            0 => (Intermediate::Crown, LeafBound::Crown),
            1 => (Intermediate::Ibp, LeafBound::Crown),
            _ => (Intermediate::Ibp, LeafBound::Ibp),
        };
        let opts = Options {
            intermediate,
            leaf,
            split: true,
            deadline: None,
            max_boxes: 2000,
            seed,
            pairs: seed % 2 == 0,
            alpha_steps: if seed % 5 == 0 { 5 } else { 0 },
            lookahead: seed % 7 == 0,
        };
        match verify(&graph, &prop, &opts, |_| {}).unwrap() {
            Outcome::Verified { tree, .. } => {
                t.verified += 1;
                if truth {
                    t.disagreements.push(format!("seed {seed}: verified, but the ground truth is violated"));
                }
                if let Err(e) = recheck(&graph, &prop, &tree, opts.intermediate, opts.leaf) {
                    t.disagreements.push(format!("seed {seed}: verified, but its certificate is rejected: {e}"));
                }
            }
            Outcome::Violated { cex, .. } => {
                t.violated += 1;
                let x: Vec<Q> = cex.input.iter().map(|b| b.to_rational().unwrap()).collect();
                let inside = x.iter().zip(lo.iter().zip(&hi)).all(|(v, (l, h))| l <= v && v <= h);
                let out = net.eval(&x);
                let meets = dnf.get(cex.disjunct).is_some_and(|d| {
                    d.iter().all(|(c, rhs)| c.iter().zip(&out).map(|(k, v)| k * v).sum::<Q>() <= *rhs)
                });
                if !truth || !inside || !meets || out != cex.exact_output {
                    t.disagreements.push(format!(
                        "seed {seed}: violated at {x:?} (inside {inside}, meets disjunct {meets}), ground truth violated: {truth}"
                    ));
                }
            }
            Outcome::Unknown { .. } => t.unknown += 1,
        }
    }
    eprintln!("differential: {t:?}");
    assert!(t.disagreements.is_empty(), "{} disagreements: {:#?}", t.disagreements.len(), t.disagreements);
    // The campaign must exercise both verdicts, not only one.
    assert!(t.verified > count / 5 && t.violated > count / 5, "{t:?}");
}
