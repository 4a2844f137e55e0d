#!/usr/bin/env python3
"""Writes tests/data/smooth_reference.json: high-precision reference values of the smooth activations
(tanh, sigmoid, GELU with the exact erf form) and of erf, erfc and the three derivatives, at about
300 exact rational points. The Rust tests of src/num/elementary.rs check that every enclosure
torchlean computes contains these values.

usage: python3 tests/data/gen_smooth_reference.py   (needs mpmath: pip install mpmath)

Every point is an exact rational written canonically ("-3/4", "12345/1048576", "5"). Every value is
computed with mp.dps = 60 (evaluated with 20 guard digits, then rounded to 60: GELU' cancels near
the GELU minimiser) and written with 58 significant digits in exponent form; each one is
recomputed at mp.dps = 100 and the script stops if the two disagree beyond 1e-56 relative, so the
written digits are right to about 1e-57 relative (the Rust test allows 1e-50). Values whose
magnitude is below 1e-7000 (e.g. sigmoid(-1e20)) cannot be written as a usable decimal: they are
written as "0" and their names listed under "tiny"; the test then asserts only that the enclosure
lies within [-1e-7000, 1e-7000]. The output is deterministic (fixed seed, sorted points).
"""
import json
import os
import random
import struct
from fractions import Fraction

import mpmath
from mpmath import mp, mpf

TINY_EXP = 7000
DPS = 60
mp.dps = DPS
FUNCS = ["tanh", "sigmoid", "erf", "erfc", "gelu", "dtanh", "dsigmoid", "dgelu"]


def canon(q):
    q = Fraction(q)
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def f32(v):
    """The binary32 nearest to v, as an exact fraction."""
    return Fraction(*struct.unpack("<f", struct.pack("<f", v))[0].as_integer_ratio())


def points():
    pts = set()
    pts.add(Fraction(0))
    # Tiny magnitudes: relative precision must survive cancellation-prone formulas.
    for t in [Fraction(1, 10**30), Fraction(1, 2**100), Fraction(3, 2**70), Fraction(1, 10**10),
              Fraction(1, 10**5), Fraction(1, 2**149), Fraction(1, 1000), Fraction(1, 3 * 10**7),
              Fraction(1, 2**126), Fraction(1, 10**300)]:
        pts.update([t, -t])
    # A moderate grid.
    for k in range(-32, 33):
        pts.add(Fraction(k, 4))
    # Large magnitudes, including the largest binary32 and points across the erfc switches.
    for v in [7, Fraction(29, 4), Fraction(15, 2), 10, Fraction(21, 2), 11, 15, 20, 30, 50, 100,
              180, Fraction(361, 2), 1000, 10000, 10**20,
              int(Fraction(*struct.unpack("<f", b"\xff\xff\x7f\x7f")[0].as_integer_ratio()))]:
        pts.update([Fraction(v), -Fraction(v)])
    # Around the GELU minimiser x* = -0.75179... and the inflection points +-sqrt(2).
    xstar = Fraction("-0.7517915246935645")
    for k in range(1, 9):
        d = Fraction(1, 10**k)
        pts.update([xstar - d, xstar + d])
    pts.update([xstar, Fraction("-0.7518"), Fraction("-0.75"), Fraction("-0.751791524693564457")])
    for r in [Fraction("1.41421356"), Fraction("1.41421357"), Fraction("1.4142135623730950488")]:
        pts.update([r, -r])
    rng = random.Random(20240611)
    # Random rationals with awkward denominators.
    for _ in range(60):
        d = rng.choice([3, 7, 10, 1000, 2**20, 12345, 10**9 + 7])
        pts.add(Fraction(rng.randint(-12 * d, 12 * d), d))
    # Exact binary32 values at several scales.
    for sigma in [0.01, 0.3, 1.0, 3.0, 12.0]:
        for _ in range(20):
            pts.add(f32(rng.gauss(0.0, sigma)))
    return sorted(pts)


def values(x):
    x = mpf(x.numerator) / mpf(x.denominator)
    s2 = mpmath.sqrt(2)
    big_phi = mpmath.erfc(-x / s2) / 2  # the erfc form: no cancellation for x << 0
    small_phi = mpmath.exp(-x * x / 2) / mpmath.sqrt(2 * mpmath.pi)
    e1 = mpmath.exp(-abs(x))
    return {
        "tanh": mpmath.tanh(x),
        "sigmoid": 1 / (1 + mpmath.exp(-x)),
        "erf": mpmath.erf(x),
        "erfc": mpmath.erfc(x),
        "gelu": x * big_phi,
        "dtanh": 1 / mpmath.cosh(x) ** 2,
        "dsigmoid": e1 / (1 + e1) ** 2,
        "dgelu": big_phi + x * small_phi,
    }


def text(v):
    return "0" if v == 0 else mpmath.nstr(v, 58, min_fixed=1, max_fixed=0)


def main():
    tiny = mpf(10) ** (-TINY_EXP)
    rows = []
    for x in points():
        with mp.workdps(DPS + 20):  # guard digits: dgelu cancels near the GELU minimiser
            lo = values(x)
        with mp.workdps(DPS):
            lo = {k: +v for k, v in lo.items()}  # unary plus rounds to DPS digits
        with mp.workdps(DPS + 40):
            hi = values(x)
        row = {"x": canon(x)}
        small = []
        for name in FUNCS:
            a, b = lo[name], hi[name]
            with mp.workdps(DPS + 40):
                is_tiny = b != 0 and abs(b) < tiny
                # Beyond 1e-7000 the exponent alone outgrows 60 digits; those values are not written.
                assert is_tiny or abs(a - b) <= abs(b) * mpf(10) ** -56, (canon(x), name, a, b)
            if is_tiny:
                small.append(name)
                row[name] = "0"
            else:
                with mp.workdps(DPS):
                    row[name] = text(a)
        if small:
            row["tiny"] = small
        rows.append(row)
    out = {
        "about": "reference values for src/num/elementary.rs; generated by gen_smooth_reference.py",
        "mpmath": mpmath.__version__,
        "dps": DPS,
        "digits": 58,
        "tiny_below": f"1e-{TINY_EXP}",
        "functions": {
            "tanh": "tanh(x)", "sigmoid": "1/(1+exp(-x))", "erf": "erf(x)", "erfc": "erfc(x)",
            "gelu": "x/2*(1+erf(x/sqrt2)) = x/2*erfc(-x/sqrt2)", "dtanh": "1-tanh(x)^2",
            "dsigmoid": "sigmoid(x)*(1-sigmoid(x))", "dgelu": "Phi(x)+x*phi(x)",
        },
        "points": rows,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "smooth_reference.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {len(rows)} points to {path}")


if __name__ == "__main__":
    main()
