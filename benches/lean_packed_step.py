#!/usr/bin/env python3
"""Kernel cost of one packed backward step at ACAS Xu size, on whatever Lean `torchlean check` uses.

A CROWN leaf of an ACAS Xu network pushes batches of backward passes through 50x50 layers. This
bench builds Lean modules that run such steps inside `decide +kernel` with the packed-field
representation of `lean/TorchLean/Num/Packed.lean`: per neuron, one `Nat` holds one coefficient per
pass (a field of FIELD bits, stored with a power-of-two bias); a step applies the ReLU lines by sign
(`relaxFields`), multiplies by the layer's weights and divides every field by 2^(r+w), rounding
down (`layerOut`: one scalar-times-packed multiply-add per weight, whatever the number of passes;
each row carries its magnitude sum as a literal, as a checker that sums rows once per network would).
Both are the library's definitions, proved entrywise there (`relaxFields_biased`, `layerOut_biased`).
The expected result is computed here in Python, so a wrong kernel result fails the build.

It runs `torchlean check` on projects holding one module each, all defining the same STEPS layers
of literals: one whose theorem runs 0 steps (the reference: startup, imports, elaboration), one
that runs 1 step and one that runs all STEPS, all in the same run. The theorem turns on Lean's
profiler, so the kernel's own time for it is reported (`kernel_seconds` in `torchlean check
--json`, wasm toolchain); the per-step figure is the difference in kernel time against the
reference. Kernel time leaves out module load and literal elaboration, which vary by several
seconds between runs; where it is not reported (lake), whole-check times are used instead.

usage: benches/lean_packed_step.py [--torchlean target/release/torchlean] [--passes 100] [--steps 4]
(the TorchLean library must build; `torchlean check` caches it, so run `torchlean check` once first)
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.set_int_max_str_digits(0)
N = 50          # neurons per layer (ACAS Xu)
FIELD = 192     # bits per field
B0 = 60         # bias exponent of the starting coefficients: |v| < 2^B0
R = 32          # slope bits: a ReLU line's slope is an integer over 2^R
W_BITS = 32     # weight bits: a weight is an integer over 2^W_BITS


def pack(fields):
    n = 0
    for f in reversed(fields):
        n = f + (n << FIELD)
    return n


def shift_fields(w, x, passes):
    low = pack([(1 << w) - 1] * passes)
    return (x - (x & low)) >> w


def relax(b, an, sn, x, passes):
    one = pack([1] * passes)
    t = shift_fields(b, x, passes)
    pos = x & (t * ((1 << FIELD) - 1))
    return an * pos + sn * (x - pos) + (1 << (b + R)) * one - (an * (1 << b) * t + sn * (1 << b) * (one - t))


def generate(passes, steps, seed=7):
    rng = random.Random(seed)
    one = pack([1] * passes)
    lam = [pack([rng.randint(-(1 << B0) + 1, (1 << B0) - 1) + (1 << B0) for _ in range(passes)]) for _ in range(N)]
    alphas = [rng.randint(0, 1 << R) for _ in range(N)]
    slopes = [rng.randint(0, 1 << R) for _ in range(N)]
    layers, b, cur = [], B0, lam
    checksums = [sum(lam) % 1000000007]
    for _ in range(steps):
        w = [[rng.randint(-(1 << W_BITS), 1 << W_BITS) for _ in range(N)] for _ in range(N)]
        rs = [relax(b, a, s, x, passes) for x, a, s in zip(cur, alphas, slopes)]
        negs = [(1 << (b + R + 1)) * one - x for x in rs]
        e = b + R + max(sum(abs(v) for v in row) for row in w).bit_length() + 1
        assert e + 3 < FIELD, "fields too narrow for this many steps"
        out = []
        for row in w:
            mu = sum(v * x if v >= 0 else -v * y for v, x, y in zip(row, rs, negs))
            out.append(shift_fields(R + W_BITS, mu + ((1 << e) - (1 << (b + R)) * sum(abs(v) for v in row)) * one, passes))
        layers.append((b, e, w))
        cur, b = out, e - R - W_BITS
        checksums.append(sum(cur) % 1000000007)
    return lam, alphas, slopes, layers, checksums


def module(name, passes, steps, used):
    """A module defining `steps` layers whose theorem runs the first `used` of them."""
    lam, alphas, slopes, layers, checksums = generate(passes, steps)
    lines = [
        "module", "", "public import TorchLean.Num.Packed", "", "public section", "",
        f"namespace Certificates.{name}", "", "open TorchLean.Num", "",
        f"@[expose] noncomputable def one : Nat := splat {FIELD} 1 {passes}",
        "@[expose] noncomputable def lam : List Nat := [" + ", ".join(hex(x) for x in lam) + "]",
        "@[expose] noncomputable def al : List Nat := [" + ", ".join(map(str, alphas)) + "]",
        "@[expose] noncomputable def sl : List Nat := [" + ", ".join(map(str, slopes)) + "]",
        f"""@[expose] noncomputable def relax (b an sn x : Nat) : Nat := relaxFields {FIELD} b {R} {passes} an sn x
@[expose] noncomputable def relaxAll (b : Nat) : List Nat → List Nat → List Nat → List Nat
  | x :: xs, a :: as, s :: ss => relax b a s x :: relaxAll b xs as ss
  | _, _, _ => []
@[expose] noncomputable def negAll (c : Nat) : List Nat → List Nat
  | [] => []
  | x :: xs => (c - x) :: negAll c xs
@[expose] noncomputable def mat (e b : Nat) (xs ys : List Nat) : List (List Nat × List Bool × Nat) → List Nat
  | [] => []
  | (w, s, a) :: rows => layerOut {FIELD} {passes} (b + {R}) e ({R} + {W_BITS}) a w s xs ys :: mat e b xs ys rows
@[expose] noncomputable def step (b e : Nat) (w : List (List Nat × List Bool × Nat)) (x : List Nat) : List Nat :=
  let rs := relaxAll b x al sl
  mat e b rs (negAll (2 ^ (b + {R} + 1) * one) rs) w
@[expose] noncomputable def chk : List Nat → Nat
  | [] => 0
  | x :: xs => (x + chk xs) % 1000000007""",
    ]
    expr = "lam"
    for k, (b, e, w) in enumerate(layers):
        rows = ", ".join(
            "([" + ", ".join(str(abs(v)) for v in row) + "], [" + ", ".join("true" if v < 0 else "false" for v in row)
            + f"], {sum(abs(v) for v in row)})"
            for row in w)
        lines.append(f"@[expose] noncomputable def w{k} : List (List Nat × List Bool × Nat) := [{rows}]")
        if k < used:
            expr = f"(step {b} {e} w{k} {expr})"
    lines += ["set_option profiler true in", "set_option profiler.threshold 0 in", f"theorem steps_checksum : chk {expr} = {checksums[used]} := by decide +kernel", "", f"end Certificates.{name}", ""]
    return "\n".join(lines)


def timed_check(torchlean, lean_dir, name, text):
    with tempfile.TemporaryDirectory(dir="/tmp") as d:
        proj = os.path.join(d, "lean")
        shutil.copytree(lean_dir, proj, ignore=shutil.ignore_patterns(".lake", "Certificates"))
        os.makedirs(os.path.join(proj, "Certificates"))
        with open(os.path.join(proj, "Certificates", name + ".lean"), "w") as f:
            f.write(text)
        start = time.monotonic()
        r = subprocess.run([torchlean, "check", "--json", "--lean-dir", proj, "--jobs", "1"], capture_output=True, text=True)
        took = time.monotonic() - start
        if r.returncode != 0:
            sys.exit(f"{name}: torchlean check failed (exit {r.returncode}):\n{r.stdout}\n{r.stderr}")
        report = json.loads(r.stdout.strip().splitlines()[-1])
        kernel = [c.get("kernel_seconds") for c in report["certificates"] if c["module"].endswith(name)]
        return took, (kernel[0] if kernel else None)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--torchlean", default="target/release/torchlean")
    ap.add_argument("--lean-dir", default="lean")
    ap.add_argument("--passes", type=int, default=100)
    ap.add_argument("--steps", type=int, default=4)
    a = ap.parse_args()
    runs = [(0, "PackedSteps0"), (1, "PackedSteps1"), (a.steps, f"PackedSteps{a.steps}")]
    # Builds (and caches) the library, so that the timed runs below build only their module.
    timed_check(a.torchlean, a.lean_dir, "PackedWarmup", module("PackedWarmup", 1, 0, 0))
    times, kernel = {}, {}
    for steps, name in runs:
        times[steps], kernel[steps] = timed_check(a.torchlean, a.lean_dir, name, module(name, a.passes, a.steps, steps))
        print(f"{name}: {times[steps]:.1f} s, kernel {kernel[steps]} s", file=sys.stderr)
    # Lean's profiler times the kernel's check of the theorem alone; without it (lake builds do
    # not pass it on) the per-step figure falls back to the whole check minus the 0-step reference.
    profiled = all(k is not None for k in kernel.values())
    base = kernel if profiled else times
    print("| steps | passes | check time | kernel time | per step |")
    print("|---|---|---|---|---|")
    for steps, _ in runs:
        per = f"{(base[steps] - base[0]) / steps:.2f} s" if steps else "—"
        k = f"{kernel[steps]:.2f} s" if kernel[steps] is not None else "not reported"
        print(f"| {steps} | {a.passes} | {times[steps]:.1f} s | {k} | {per} |")
    mult_adds = N * N * a.passes
    if a.steps:
        per = (base[a.steps] - base[0]) / a.steps
        print(f"\n{'kernel' if profiled else 'whole-check'} time per step; {mult_adds} field multiply-adds per step: "
              f"{per / mult_adds * 1e6:.2f} µs each ({a.passes} passes share each kernel multiply)")


if __name__ == "__main__":
    main()
