#!/usr/bin/env python3
"""CROWN bounds of the same network over the same box from torchlean and from auto_LiRPA, side by side.

A benchmark you run by hand, not part of CI:

    python3 benches/compare_auto_lirpa.py --auto-lirpa /path/to/auto_LiRPA [--reps 5]

auto_LiRPA is used from a source checkout via PYTHONPATH (PyPI's 0.3 needs torch < 1.13); besides
torch it needs numpy, tqdm, graphviz, appdirs, pyyaml and packaging. torch runs on the CPU with one thread;
torchlean runs with RAYON_NUM_THREADS=--threads (default 1).

Both tools get bit-identical networks and boxes:
- `.nnet` decimals are rounded once to binary32, nearest-even, from their exact value (as
  torchlean's reader does; float(str) then float32 would round twice);
- payload weights are their binary32 bits;
- box ends are rounded outward to binary32 and torchlean gets their exact values, so its box
  contains the VNN-LIB one and auto_LiRPA's float32 box is the same set.

Cases: ACAS Xu 1_1 over the boxes of properties 3 and 1, and a synthetic 784-256-256-10 ReLU MLP
(PyTorch's default Linear init, seed 0) over an L∞ ball of radius 0.01 around a fixed input in [0, 1].
Times are medians over --reps calls of the bound computation alone, in one process each (torchlean's
`bounds --repeat`, which also reports its first, cold call; auto_LiRPA's `compute_bounds` after the
BoundedModule is built). torchlean runs twice per case:
with its default integer backward pass (`--backward-arith dyadic`, within about 2^-60 of exact) and
with the binary64 one (`--backward-arith f64`, every rounding error bounded and charged outward);
the script checks that the second's bounds contain the first's.
"""
import argparse
import json
import math
import os
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from fractions import Fraction

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def f32_round(q, mode):
    """The binary32 value nearest to the rational q (mode 'rne'), or the next one below ('down') or
    above ('up'), as a Python float (exact: every binary32 is a double). Overflow is an error."""
    if q == 0:
        return 0.0
    neg = q < 0
    a = -q if neg else q
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if Fraction(2) ** e > a:
        e -= 1
    e = max(e, -126)  # subnormals share the quantum 2^-149
    scaled = a / Fraction(2) ** (e - 23)
    if mode == "rne":
        n = round(scaled)  # Fraction.__round__ rounds half to even
    else:
        toward_larger_magnitude = (mode == "up") != neg
        n = math.ceil(scaled) if toward_larger_magnitude else math.floor(scaled)
    v = math.ldexp(n, e - 23)
    if v > struct.unpack("<f", bytes.fromhex("ffff7f7f"))[0]:
        raise ValueError(f"{q} overflows binary32")
    return -v if neg else v


def bits_to_f32(h):
    return struct.unpack("<f", int(h, 16).to_bytes(4, "little"))[0]


def f32_to_bits(x):
    return "0x%08x" % int.from_bytes(struct.pack("<f", x), "little")


def read_nnet(path):
    """Layers [(weight rows, bias, act)] of a .nnet file, weights rounded once to binary32."""
    with open(path) as f:
        lines = [l.strip() for l in f if l.strip() and not l.strip().startswith("//")]
    vals = lambda l: [v for v in (s.strip() for s in l.split(",")) if v]
    num_layers = int(vals(lines[0])[0])
    sizes = [int(v) for v in vals(lines[1])]
    pos = 7  # header, sizes, symmetric flag, mins, maxes, means, ranges
    layers = []
    for k in range(num_layers):
        rows, cols = sizes[k + 1], sizes[k]
        w = [[f32_round(Fraction(v), "rne") for v in vals(lines[pos + i])] for i in range(rows)]
        assert all(len(r) == cols for r in w)
        pos += rows
        b = [f32_round(Fraction(vals(lines[pos + i])[0]), "rne") for i in range(rows)]
        pos += rows
        layers.append((w, b, "identity" if k + 1 == num_layers else "relu"))
    assert pos == len(lines), f"{path}: trailing data"
    return layers


def read_payload(path):
    with open(path) as f:
        p = json.load(f)
    assert p["family"] == "mlp", "only mlp payloads"
    t = {x["name"]: x for x in p["tensors"]}
    layers = []
    for i, act in enumerate(p["spec"]["activations"]):
        w, b = t[f"layers.{i}.weight"], t[f"layers.{i}.bias"]
        cols = w["shape"][1]
        flat = [bits_to_f32(h) for h in w["f32"]]
        layers.append(([flat[r * cols:(r + 1) * cols] for r in range(w["shape"][0])], [bits_to_f32(h) for h in b["f32"]], act))
    return layers


def vnnlib_box(path):
    """The input box of a VNN-LIB file as exact Fractions (top-level `(assert (<= X_i c))` forms)."""
    lo, hi = {}, {}
    with open(path) as f:
        text = f.read()
    for op, i, c in re.findall(r"\(assert \((<=|>=) X_(\d+) ([-+0-9.eE]+)\)\)", text):
        (hi if op == "<=" else lo)[int(i)] = Fraction(c)
    return [(lo[i], hi[i]) for i in range(len(lo))]


def torch_model(torch, layers):
    mods = []
    for w, b, act in layers:
        lin = torch.nn.Linear(len(w[0]), len(w))
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(w, dtype=torch.float32))
            lin.bias.copy_(torch.tensor(b, dtype=torch.float32))
        mods.append(lin)
        if act == "relu":
            mods.append(torch.nn.ReLU())
        elif act != "identity":
            raise ValueError(f"activation {act}")
    return torch.nn.Sequential(*mods).eval()


def synthetic_mlp(torch, path, dims, seed=0):
    """Writes a payload for a relu MLP with PyTorch's default Linear init under a fixed seed."""
    torch.manual_seed(seed)
    tensors = []
    for i in range(len(dims) - 1):
        lin = torch.nn.Linear(dims[i], dims[i + 1])
        for name, t in (("weight", lin.weight), ("bias", lin.bias)):
            tensors.append({"name": f"layers.{i}.{name}", "shape": list(t.shape),
                            "f32": [f32_to_bits(v) for v in t.detach().flatten().tolist()]})
    acts = ["relu"] * (len(dims) - 2) + ["identity"]
    with open(path, "w") as f:
        json.dump({"format": "torchlean.payload.v1", "family": "mlp", "spec": {"widths": dims, "activations": acts},
                   "tensors": tensors}, f)


def run_torchlean(exe, model, box, reps, threads, arith):
    """One process computing the bounds `reps` times (`bounds --repeat`): the median of those calls
    (warm, as auto_LiRPA's median over calls in one process is), the first call's time (cold caches,
    fresh memory) and the process's wall time."""
    arg = ",".join(f"{Fraction(l)}:{Fraction(h)}" for l, h in box)
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    t0 = time.perf_counter()
    r = subprocess.run([exe, "bounds", "--model", model, "--input-box", arg, "--method", "crown", "--backward-arith", arith,
                        "--repeat", str(reps), "--json"],
                       capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"torchlean failed ({r.returncode}): {r.stderr}")
    v = json.loads(r.stdout)
    out = [(Fraction(lo), Fraction(hi)) for lo, hi in v["outputs"]]
    return out, v["seconds"], v["seconds_first"], wall


def run_auto_lirpa(torch, model, box, reps):
    from auto_LiRPA import BoundedModule, BoundedTensor
    from auto_LiRPA.perturbations import PerturbationLpNorm
    x_l = torch.tensor([[l for l, _ in box]], dtype=torch.float32)
    x_u = torch.tensor([[h for _, h in box]], dtype=torch.float32)
    x = (x_l + x_u) / 2
    bm = BoundedModule(model, torch.zeros_like(x), device="cpu", verbose=0)
    times, lb, ub = [], None, None
    for _ in range(reps):
        bx = BoundedTensor(x, PerturbationLpNorm(norm=float("inf"), x_L=x_l, x_U=x_u))
        t0 = time.perf_counter()
        with torch.no_grad():
            lb, ub = bm.compute_bounds(x=(bx,), method="CROWN")
        times.append(time.perf_counter() - t0)
    return list(zip(lb[0].tolist(), ub[0].tolist())), statistics.median(times)


def tighter(t, a):
    """Which interval is tighter: torchlean's exact one or auto_LiRPA's float32 one. Ends that differ
    by less than 1e-6 of the magnitude count as equal: that is float32 round-off in auto_LiRPA, whose
    bounds are not rounded outward (so they may even exclude true outputs by that much)."""
    (tl, th), (al, ah) = t, (Fraction(a[0]), Fraction(a[1]))
    tol = lambda x, y: abs(x - y) <= Fraction(1, 10**6) * max(1, abs(x), abs(y))
    if tol(tl, al) and tol(th, ah):
        return "equal (f32 round-off)"
    if tl >= al and th <= ah:
        return "torchlean"
    if tl <= al and th >= ah:
        return "auto_LiRPA"
    return "mixed"


def case(torch, args, name, model_path, layers, box):
    box = [(Fraction(f32_round(Fraction(l), "down")), Fraction(f32_round(Fraction(h), "up"))) for l, h in box]
    tl, tl_s, tl_first, tl_wall = run_torchlean(args.torchlean, model_path, box, args.reps, args.threads, "dyadic")
    tf, tf_s, tf_first, tf_wall = run_torchlean(args.torchlean, model_path, box, args.reps, args.threads, "f64")
    al, al_s = run_auto_lirpa(torch, torch_model(torch, layers), [(float(l), float(h)) for l, h in box], args.reps)
    widths = [len(layers[0][0][0])] + [len(w) for w, _, _ in layers]
    print(f"\n== {name}  ({'-'.join(map(str, widths))}, {len(box)}-dim box)")
    print(f"{'out':<4} {'torchlean lo':>15} {'torchlean hi':>15}   {'auto_LiRPA lo':>15} {'auto_LiRPA hi':>15}  "
          f"{'width ratio':>11}  {'max |Δ end|':>11}  tighter")
    verdicts = []
    for j, (t, a) in enumerate(zip(tl, al)):
        w_t, w_a = float(t[1] - t[0]), a[1] - a[0]
        v = tighter(t, a)
        verdicts.append(v)
        ratio = w_t / w_a if w_a > 0 else float("nan")
        delta = max(abs(float(t[0]) - a[0]), abs(float(t[1]) - a[1]))
        print(f"{j:<4} {float(t[0]):>15.8g} {float(t[1]):>15.8g}   {a[0]:>15.8g} {a[1]:>15.8g}  {ratio:>11.6f}  "
              f"{delta:>11.2e}  {v}")
    print(f"time (median of {args.reps}): torchlean {tl_s * 1e3:.2f} ms (first call {tl_first * 1e3:.2f} ms, "
          f"process wall {tl_wall * 1e3:.1f} ms, "
          f"{args.threads} thread{'s' if args.threads != 1 else ''}), auto_LiRPA {al_s * 1e3:.2f} ms (1 thread); "
          f"ratio torchlean/auto_LiRPA = {tl_s / al_s:.2f}")
    # The binary64 backward pass charges its rounding outward, so its bounds contain the dyadic ones.
    if any(f[0] > t[0] or f[1] < t[1] for f, t in zip(tf, tl)):
        sys.exit("torchlean --backward-arith f64 is tighter than dyadic somewhere: its charges are not outward")
    loose = max(max(t[0] - f[0], f[1] - t[1]) for f, t in zip(tf, tl))
    f_verdicts = [tighter(f, a) for f, a in zip(tf, al)]
    print(f"torchlean --backward-arith f64: contains the dyadic bounds, loosest end {float(loose):.2e} wider; "
          f"vs auto_LiRPA {dict((v, f_verdicts.count(v)) for v in sorted(set(f_verdicts)))}; "
          f"time {tf_s * 1e3:.2f} ms (first call {tf_first * 1e3:.2f} ms, process wall {tf_wall * 1e3:.1f} ms); "
          f"ratio f64/auto_LiRPA = {tf_s / al_s:.2f}")
    return {"case": name, "tighter": verdicts, "torchlean_s": tl_s, "auto_lirpa_s": al_s,
            "f64_tighter": f_verdicts, "f64_s": tf_s}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--auto-lirpa", required=True, help="path to an auto_LiRPA source checkout (put on PYTHONPATH)")
    ap.add_argument("--torchlean", default=os.path.join(ROOT, "target", "release", "torchlean"))
    ap.add_argument("--acasxu", default=os.path.join(ROOT, "..", "shared", "benchmarks", "acasxu"))
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1, help="RAYON_NUM_THREADS for torchlean")
    ap.add_argument("--skip-mnist", action="store_true", help="only the ACAS Xu cases")
    args = ap.parse_args()
    sys.path.insert(0, os.path.abspath(args.auto_lirpa))
    import torch
    torch.set_num_threads(1)
    try:
        import auto_LiRPA
    except ModuleNotFoundError as e:
        if e.name == "auto_LiRPA":
            sys.exit(f"--auto-lirpa {args.auto_lirpa}: expected an auto_LiRPA checkout, found no "
                     f"{os.path.join(args.auto_lirpa, 'auto_LiRPA', '__init__.py')}")
        sys.exit(f"auto_LiRPA from {args.auto_lirpa} could not be imported: module {e.name!r} is missing "
                 f"(pip install {e.name}; auto_LiRPA itself is not installed, only put on the path)")
    print(f"torch {torch.__version__}, auto_LiRPA {getattr(auto_LiRPA, '__version__', '?')} from {args.auto_lirpa}; "
          f"torchlean {args.torchlean}")
    results = []
    net = os.path.join(args.acasxu, "ACASXU_run2a_1_1_batch_2000.nnet")
    acas = read_nnet(net)
    for prop in ("prop_3", "prop_1"):
        box = vnnlib_box(os.path.join(args.acasxu, prop + ".vnnlib"))
        results.append(case(torch, args, f"ACAS Xu 1_1, {prop} box", net, acas, box))
    if not args.skip_mnist:
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "mlp784.json")
            synthetic_mlp(torch, path, [784, 256, 256, 10])
            g = torch.Generator().manual_seed(1)
            x0 = torch.rand(784, generator=g).tolist()
            box = [(Fraction(x) - Fraction(1, 100), Fraction(x) + Fraction(1, 100)) for x in x0]
            results.append(case(torch, args, "MLP 784-256-256-10 (seed 0), eps 0.01", path, read_payload(path), box))
    print("\nsummary")
    for r in results:
        counts = {v: r["tighter"].count(v) for v in sorted(set(r["tighter"]))}
        print(f"  {r['case']:<42} tighter: {counts}  time ratio dyadic {r['torchlean_s'] / r['auto_lirpa_s']:.2f}, "
              f"f64 {r['f64_s'] / r['auto_lirpa_s']:.2f}")


if __name__ == "__main__":
    main()
