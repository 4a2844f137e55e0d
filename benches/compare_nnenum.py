#!/usr/bin/env python3
"""torchlean and nnenum on the same VNN-COMP instances, one after the other, same machine, one run.

A benchmark you run by hand, not part of CI:

    python3 benches/compare_nnenum.py --nnenum ../shared/tools/nnenum --python /path/to/venv/bin/python \
        [--instances ../shared/benchmarks/acasxu/instances.csv] [--only 1_1,prop_3] [--json]

nnenum runs from its checkout (`PYTHONPATH=<checkout>/src python -m nnenum.nnenum ONNX VNNLIB
TIMEOUT OUT PROCESSES`, BLAS and OpenMP at one thread, PROCESSES = --processes, default the
machine's cores); its README lists the packages its venv needs (--python is that venv's
interpreter). torchlean runs as VNN-COMP runs it (`torchlean vnncomp run_instance`), so its time
includes writing the certificate; nnenum writes none. Each instance gets the timeout of the
instances file; a tool still running 60 s past it is killed (as the competition's harness does).

Per instance the table shows both verdicts (holds/violated/timeout/…; torchlean's unsat/sat are
holds/violated), both wall times, and the expected result when `expected.csv` sits beside the
instances file; a verdict that contradicts another or the expected one is flagged. The last line
is the total of each tool's times and torchlean's total divided by nnenum's.
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, timeout, env=None, cwd=None):
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout + 60, env=env, cwd=cwd, text=True)
        return time.monotonic() - start, p.returncode, p.stderr[-2000:]
    except subprocess.TimeoutExpired:
        return time.monotonic() - start, None, "killed 60 s past the timeout"


def first_line(path):
    try:
        with open(path) as f:
            return (f.readline().strip() or "no_result")
    except OSError:
        return "no_result"


WORDS = {"unsat": "holds", "sat": "violated", "holds": "holds", "violated": "violated"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nnenum", required=True, help="nnenum checkout (with src/nnenum)")
    ap.add_argument("--python", default=sys.executable, help="the interpreter of nnenum's venv")
    ap.add_argument("--instances", default=os.path.join(ROOT, "../shared/benchmarks/acasxu/instances.csv"))
    ap.add_argument("--torchlean", default=os.path.join(ROOT, "target/release/torchlean"))
    ap.add_argument("--processes", type=int, default=os.cpu_count())
    ap.add_argument("--only", default="", help="comma-separated substrings; run instances whose line has them all")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    base = os.path.dirname(os.path.abspath(a.instances))
    expected = {}
    exp_path = os.path.join(base, "expected.csv")
    if os.path.exists(exp_path):
        for r in csv.DictReader(open(exp_path)):
            expected[(r["onnx"], r["vnnlib"])] = r["result"]
    rows = [r for r in csv.reader(open(a.instances)) if r and all(s in ",".join(r) for s in a.only.split(",") if s)]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", PYTHONPATH=os.path.join(os.path.abspath(a.nnenum), "src"))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, (onnx, vnnlib, timeout) in enumerate(rows):
            onnx_p, vnnlib_p, t = os.path.join(base, onnx), os.path.join(base, vnnlib), float(timeout)
            name = f"{os.path.basename(onnx).replace('.onnx', '')}.{os.path.basename(vnnlib).replace('.vnnlib', '')}"
            tl_out = os.path.join(tmp, f"tl{k}.txt")
            tl_secs, tl_rc, tl_err = run([a.torchlean, "vnncomp", "run_instance", "v1", "acasxu", onnx_p, vnnlib_p, tl_out, timeout,
                                          "--out", os.path.join(tmp, f"tl{k}.cert"), "--lean-dir", os.path.join(tmp, "lean")], t)
            nn_out = os.path.join(tmp, f"nn{k}.txt")
            nn_secs, nn_rc, nn_err = run([a.python, "-m", "nnenum.nnenum", onnx_p, vnnlib_p, timeout, nn_out, str(a.processes)], t, env=env)
            tl = WORDS.get(first_line(tl_out), first_line(tl_out)) if tl_rc is not None else "killed"
            nn = WORDS.get(first_line(nn_out), first_line(nn_out)) if nn_rc is not None else "killed"
            exp = expected.get((onnx, vnnlib), "")
            decided = {v for v in (tl, nn, exp) if v in ("holds", "violated")}
            row = {"instance": name, "expected": exp, "torchlean": tl, "torchlean_seconds": round(tl_secs, 2),
                   "nnenum": nn, "nnenum_seconds": round(nn_secs, 2), "conflict": len(decided) > 1}
            if nn == "no_result" and nn_err:
                row["nnenum_error"] = nn_err.strip().splitlines()[-1]
            results.append(row)
            if not a.json:
                print(f"[{k + 1}/{len(rows)}] {name}: torchlean {tl} {tl_secs:.1f} s, nnenum {nn} {nn_secs:.1f} s", file=sys.stderr)
    tl_total = sum(r["torchlean_seconds"] for r in results)
    nn_total = sum(r["nnenum_seconds"] for r in results)
    ratio = tl_total / nn_total if nn_total > 0 else float("inf")
    if a.json:
        print(json.dumps({"instances": results, "torchlean_total": tl_total, "nnenum_total": nn_total, "ratio": ratio}))
        return
    w = max(len(r["instance"]) for r in results)
    print(f"{'instance':<{w}}  {'expected':<9} {'torchlean':<10} {'seconds':>8}  {'nnenum':<10} {'seconds':>8}")
    for r in results:
        flag = "  CONFLICT" if r["conflict"] else ""
        print(f"{r['instance']:<{w}}  {r['expected']:<9} {r['torchlean']:<10} {r['torchlean_seconds']:>8.2f}  {r['nnenum']:<10} {r['nnenum_seconds']:>8.2f}{flag}")
    print(f"total: torchlean {tl_total:.1f} s, nnenum {nn_total:.1f} s, ratio {ratio:.2f} (torchlean / nnenum)")


if __name__ == "__main__":
    main()
