#!/usr/bin/env python3
"""L∞ robustness on scikit-learn's 8×8 `digits` (shipped in its wheel, no download), end to end:

1. export a network of the `cnn` or `mlp` family with `torchlean export`, train it with PyTorch on the
   training split (inputs scaled to [0, 1]), and write its payload with the exported `torchlean_io`;
2. for the first `--images` test images and each ε, write a VNN-LIB property (the ball clipped to
   [0, 1]; violated when some other output reaches the label's) and run `torchlean verify`;
   a violated result is re-checked by `torchlean check-cert` (the counterexample replayed);
3. with `--check N`, have Lean check the first N verified certificates (`torchlean check`);
4. with `--auto-lirpa PATH` (a source checkout), bound the same networks on the same balls with
   auto_LiRPA's CROWN, and print the verified counts and times side by side.

A benchmark you run by hand, not part of CI:

    python3 benches/digits.py --family cnn --out /tmp/digits-cnn --check 10 --auto-lirpa /path/to/auto_LiRPA

Times are wall seconds measured in the same run (verify's own `seconds` is the search; the table
also gives the whole command's). Needs torch and scikit-learn (PyPI).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from fractions import Fraction

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FAMILIES = {
    # conv 1→8 (3×3, stride 2, padding 1) → relu → linear 128→10. A 512-neuron convolution with a
    # 2×2 average pool verifies as fast, but its certificates exceed the wasm Lean heap (4 GiB).
    "cnn": ["--family", "cnn", "--cnn-input", "1,8,8", "--cnn-layers", "conv:8:3:2:1,relu,flatten,linear:10"],
    # conv 1→4 (3×3, stride 2, padding 1) → relu → 2×2 max pool → linear 16→10: the pool is read
    # as ReLU layers (three comparisons per window), so the view is 64-64-144-96-48-16-10. With
    # stride 1 (view 64-256-576-384-192-64-10) it verifies as well, but its certificates exceed
    # the wasm Lean heap (4 GiB): the pool layers' block-diagonal matrices are stored dense.
    "cnn-maxpool": ["--family", "cnn", "--cnn-input", "1,8,8", "--cnn-layers", "conv:4:3:2:1,relu,maxpool:2,flatten,linear:10"],
    "mlp-relu": ["--family", "mlp", "--dims", "64,32,10", "--act", "relu"],
    "mlp-tanh": ["--family", "mlp", "--dims", "64,32,10", "--act", "tanh"],
    "mlp-gelu": ["--family", "mlp", "--dims", "64,32,10", "--act", "gelu"],
}


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def frac_text(q):
    q = Fraction(q)
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def load_digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    # Pixels are integers 0..16: k/16 is exact in binary32 and as a rational.
    x = [[Fraction(int(v), 16) for v in img.flatten()] for img in d.images]
    return train_test_split(x, list(d.target), test_size=0.2, random_state=0, stratify=d.target)


def train(family, pkg, x_train, y_train, x_test, y_test, epochs, payload):
    import torch

    sys.path.insert(0, pkg)
    import model as model_py  # the exported module
    import torchlean_io

    torch.manual_seed(0)
    net = model_py.build_exported_model()
    shape = model_py.INPUT_SHAPE
    xt = torch.tensor([[float(v) for v in x] for x in x_train], dtype=torch.float32).reshape(-1, *shape)
    yt = torch.tensor(y_train)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(epochs):
        perm = torch.randperm(len(xt))
        for k in range(0, len(xt), 64):
            idx = perm[k : k + 64]
            loss = torch.nn.functional.cross_entropy(net(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    xs = torch.tensor([[float(v) for v in x] for x in x_test], dtype=torch.float32).reshape(-1, *shape)
    with torch.no_grad():
        acc = (net(xs).argmax(1) == torch.tensor(y_test)).float().mean().item()
    torchlean_io.save_torchlean_json(net, payload)
    sys.path.remove(pkg)
    return net, acc


def vnnlib(x, label, eps, outputs):
    lines = [f"; L∞ ball of radius {frac_text(eps)} around a digits test image, clipped to [0, 1]; label {label}"]
    lines += [f"(declare-const X_{i} Real)" for i in range(len(x))]
    lines += [f"(declare-const Y_{j} Real)" for j in range(outputs)]
    for i, v in enumerate(x):
        lo, hi = max(Fraction(0), v - eps), min(Fraction(1), v + eps)
        lines.append(f"(assert (>= X_{i} {frac_text(lo)}))")
        lines.append(f"(assert (<= X_{i} {frac_text(hi)}))")
    rivals = " ".join(f"(and (>= Y_{j} Y_{label}))" for j in range(outputs) if j != label)
    lines.append(f"(assert (or {rivals}))")
    return "\n".join(lines) + "\n"


def lean_project(dst):
    shutil.copytree(os.path.join(ROOT, "lean"), dst, ignore=shutil.ignore_patterns(".lake", "build"))
    certs = os.path.join(dst, "Certificates")
    for f in os.listdir(certs):
        p = os.path.join(certs, f)
        shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)


def auto_lirpa_crown(net, shape, x, label, eps):
    """auto_LiRPA's CROWN lower bounds of y_label − y_j over the clipped ball; verified when all > 0."""
    import torch
    from auto_LiRPA import BoundedModule, BoundedTensor, PerturbationLpNorm

    center = torch.tensor([float(v) for v in x], dtype=torch.float32).reshape(1, *shape)
    lo = torch.clamp(center - float(eps), 0.0, 1.0)
    hi = torch.clamp(center + float(eps), 0.0, 1.0)
    outputs = 10
    c = torch.zeros(1, outputs - 1, outputs)
    rivals = [j for j in range(outputs) if j != label]
    for k, j in enumerate(rivals):
        c[0, k, label] = 1.0
        c[0, k, j] = -1.0
    model = BoundedModule(net, torch.zeros_like(center), device="cpu", verbose=0)
    ptb = PerturbationLpNorm(norm=float("inf"), x_L=lo, x_U=hi)
    xb = BoundedTensor(center, ptb)
    start = time.perf_counter()
    lb, _ = model.compute_bounds(x=(xb,), method="CROWN", C=c, bound_upper=False)
    seconds = time.perf_counter() - start
    return bool((lb > 0).all().item()), seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--family", choices=sorted(FAMILIES), default="cnn")
    ap.add_argument("--out", required=True, help="work directory (created)")
    ap.add_argument("--images", type=int, default=100)
    ap.add_argument("--eps", default="1/255,2/255,4/255")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--timeout", type=float, default=60.0, help="per verify run")
    ap.add_argument("--check", type=int, default=0, help="Lean-check this many verified certificates")
    ap.add_argument("--auto-lirpa", help="auto_LiRPA source checkout (optional comparison)")
    ap.add_argument("--torchlean", default=os.path.join(ROOT, "target", "release", "torchlean"))
    ap.add_argument("--extra", default="--intermediate ibp", help="extra verify flags")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(1)
    if args.auto_lirpa:
        sys.path.insert(0, os.path.abspath(args.auto_lirpa))
    os.makedirs(args.out, exist_ok=True)
    tl = args.torchlean
    pkg = os.path.join(args.out, "model")
    if not os.path.isdir(pkg):
        r = run([tl, "export", *FAMILIES[args.family], "--out", pkg])
        if r.returncode != 0:
            sys.exit(f"torchlean export failed:\n{r.stderr}")
    x_train, x_test, y_train, y_test = load_digits()
    payload = os.path.join(args.out, "payload.json")
    net, acc = train(args.family, pkg, x_train, y_train, x_test, y_test, args.epochs, payload)
    shape = (1, 8, 8) if args.family.startswith("cnn") else (64,)
    print(f"family {args.family}: test accuracy {acc:.4f} ({len(x_test)} images); payload {payload}")

    lean_check = os.path.join(args.out, "lean-check")
    lean_rest = os.path.join(args.out, "lean-rest")
    for d in (lean_check, lean_rest):
        if not os.path.isdir(d):
            lean_project(d)
    rows = []
    checked = 0
    for eps_text in args.eps.split(","):
        eps = Fraction(eps_text)
        counts = {"verified": 0, "violated": 0, "unknown": 0, "refused": 0}
        times, lirpa_ok, lirpa_times = [], 0, []
        for i in range(args.images):
            x, label = x_test[i], int(y_test[i])
            name = f"digits-{args.family}-{i}-{eps.denominator}-{eps.numerator}"
            prop = os.path.join(args.out, "props", name + ".vnnlib")
            os.makedirs(os.path.dirname(prop), exist_ok=True)
            with open(prop, "w") as f:
                f.write(vnnlib(x, label, eps, 10))
            out = os.path.join(args.out, "certs", name)
            lean = lean_check if checked < args.check else lean_rest
            shutil.rmtree(out, ignore_errors=True)
            start = time.perf_counter()
            r = run([tl, "verify", "--model", payload, "--property", prop, "--out", out, "--lean-dir", lean,
                     "--timeout", str(args.timeout), "--json", *args.extra.split()])
            wall = time.perf_counter() - start
            if r.returncode not in (0, 10, 20):
                counts["refused"] += 1
                print(f"{name}: exit {r.returncode}: {r.stderr.strip()[:300]}")
                continue
            v = json.loads(r.stdout)
            times.append(wall)
            status = v["status"]
            if status == "violated":
                c = run([tl, "check-cert", out])
                status = "violated" if c.returncode == 0 else "unknown"
            if status == "verified" and lean == lean_check:
                checked += 1
            counts[status] += 1
            if args.auto_lirpa:
                ok, s = auto_lirpa_crown(net, shape, x, label, eps)
                lirpa_ok += ok
                lirpa_times.append(s)
        rows.append((eps_text, counts, sum(times), statistics.median(times) if times else 0, lirpa_ok, sum(lirpa_times)))
    print()
    print(f"{'ε':<8} {'verified':>8} {'violated':>8} {'unknown':>8} {'refused':>8} {'torchlean s':>12} {'median s':>9}"
          + (f" {'auto_LiRPA CROWN verified':>26} {'auto_LiRPA s':>12}" if args.auto_lirpa else ""))
    for eps_text, c, total, med, lok, lt in rows:
        line = f"{eps_text:<8} {c['verified']:>8} {c['violated']:>8} {c['unknown']:>8} {c['refused']:>8} {total:>12.2f} {med:>9.3f}"
        if args.auto_lirpa:
            line += f" {lok:>26} {lt:>12.2f}"
        print(line)
    if args.check:
        start = time.perf_counter()
        r = run([tl, "check", "--lean-dir", lean_check, "--json"])
        wall = time.perf_counter() - start
        try:
            rep = json.loads(r.stdout)
            certs = rep["certificates"]
            passed = sum(1 for c in certs if c["passed"])
            secs = [c["seconds"] for c in certs if c["seconds"] is not None]
            print(f"\nLean: {passed} of {len(certs)} certificates accepted by `torchlean check` in {wall:.0f} s wall "
                  f"(module compile seconds: median {statistics.median(secs) if secs else 0:.0f}, total {sum(secs):.0f})")
        except (ValueError, KeyError):
            print(f"\nLean check failed (exit {r.returncode}):\n{r.stderr[-2000:]}")


if __name__ == "__main__":
    main()
