"""Checks a VNN-COMP results file the way the competition's scoring does (docs/vnncomp.md).

    python3 scripts/vnncomp_result_check.py RESULTS NETWORK.onnx PROPERTY.vnnlib [--tol T]

The first line must be one of sat, unsat, timeout, unknown, error. For sat the rest must be one
parenthesised list of `(X_i value)` then `(Y_j value)` pairs, indices counting up from 0, values
read by float(). The counterexample is then accepted only if
  - onnxruntime, run on the X values cast to the network's float32 input, gives outputs within a
    relative 1e-3 (infinity norm) of the Y values, and
  - X lies in an input box of the property and the Y values satisfy one of the output conjunctions
    with tolerance T (default 0: exactly, as the strictest scoring does).
Only the VNN-LIB the scoring reads is understood: `<=`/`>=` between a variable and a constant or
two variables, at top level or inside `(or (and ...) ...)`. Prints "accepted: ..." and exits 0, or
prints why not and exits 1.
"""
import argparse
import re
import sys

import numpy as np
import onnxruntime as ort


def sexps(text):
    text = "\n".join(line.split(";")[0] for line in text.splitlines())
    tokens = re.findall(r"\(|\)|[^\s()]+", text)
    stack = [[]]
    for t in tokens:
        if t == "(":
            stack.append([])
        elif t == ")":
            done = stack.pop()
            stack[-1].append(done)
        else:
            stack[-1].append(t)
    return stack[0]


def atom(t):
    """('X', i), ('Y', j) or a float."""
    m = re.fullmatch(r"([XY])_(\d+)", t)
    return (m.group(1), int(m.group(2))) if m else float(t)


def comparison(e):
    """A comparison as (var-or-number, var-or-number) with lhs <= rhs."""
    op, a, b = e
    a, b = atom(a), atom(b)
    return (a, b) if op == "<=" else (b, a)


def conj_of(e):
    if e[0] == "and":
        out = []
        for s in e[1:]:
            out += conj_of(s)
        return out
    return [comparison(e)]


def read_property(text):
    """(top-level comparisons, disjuncts): each disjunct a list of comparisons."""
    top, disjuncts = [], None
    for form in sexps(text):
        if form[0] != "assert":
            continue
        f = form[1]
        if f[0] == "or":
            disjuncts = [conj_of(d) for d in f[1:]]
        else:
            top += conj_of(f)
    return top, disjuncts or [[]]


def holds(cmps, x, y, tol):
    val = lambda v: v if isinstance(v, float) else (x if v[0] == "X" else y)[v[1]]
    return all(val(a) <= val(b) + tol for a, b in cmps)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("results")
    p.add_argument("onnx")
    p.add_argument("vnnlib")
    p.add_argument("--tol", type=float, default=0.0)
    a = p.parse_args()
    lines = open(a.results).read().split("\n")
    first = re.sub(r"\s", "", lines[0])
    if first not in ["sat", "unsat", "timeout", "unknown", "error"]:
        sys.exit(f"not accepted: first line {lines[0]!r} is not sat, unsat, timeout, unknown or error")
    if first != "sat":
        print(f"accepted: {first}")
        return
    body = " ".join(lines[1:]).strip()
    if not (body.startswith("(") and body.endswith(")")):
        sys.exit("not accepted: the counterexample is not one parenthesised list")
    xs, ys = [], []
    for part in body[1:-1].split(")"):
        part = " ".join(part.split())
        if not part:
            continue
        if not part.startswith("("):
            sys.exit(f"not accepted: {part!r} is not a (NAME value) pair")
        name, num = part[1:].strip().split(" ")
        target = xs if name.startswith("X_") else ys if name.startswith("Y_") else None
        if target is None or int(name[2:]) != len(target):
            sys.exit(f"not accepted: {name} out of order or not X_i / Y_j")
        target.append(float(num))
    sess = ort.InferenceSession(a.onnx, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    shape = [d if isinstance(d, int) else 1 for d in inp.shape]
    if int(np.prod(shape)) != len(xs):
        sys.exit(f"not accepted: {len(xs)} X values for an input of shape {shape}")
    (out,) = sess.run(None, {inp.name: np.array(xs, dtype=np.float32).reshape(shape)})
    out = out.astype(np.float64).ravel()
    if len(out) != len(ys):
        sys.exit(f"not accepted: {len(ys)} Y values for {len(out)} outputs")
    norm = np.max(np.abs(ys))
    rel = 0.0 if norm < 1e-6 else np.max(np.abs(out - np.array(ys))) / norm
    if rel > 1e-3:
        sys.exit(f"not accepted: onnxruntime's outputs differ from Y by {rel:.3g} (relative), above 1e-3")
    top, disjuncts = read_property(open(a.vnnlib).read())
    if not any(holds(top + d, xs, ys, a.tol) for d in disjuncts):
        sys.exit(f"not accepted: X is outside the input region or Y satisfies no disjunct (tolerance {a.tol})")
    print(f"accepted: sat, onnxruntime within {rel:.3g} (relative) of Y, the property violated with tolerance {a.tol}")


if __name__ == "__main__":
    main()
