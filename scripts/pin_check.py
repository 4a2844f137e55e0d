#!/usr/bin/env python3
"""Confirm, without torchlean, that a pin states the claim of a certificate's artifacts.

    python3 scripts/pin_check.py CERT_DIR lean/Pins/<Module>.lean

`torchlean check` writes `lean/Pins/<Module>.lean` and has Lean accept the certificate's final
theorem at `Claim graph params region goal` (`lean/TorchLean/Cert/Claim.lean`). This script is the
reviewer's own link from the bytes to that statement: it reads CERT_DIR/payload.json and
property.json (print their SHA-256 and compare with `sha256sum`), writes the graph, parameters,
region and goal the way `IR/Graph.lean` and `Cert/Claim.lean` define them, and demands that the
pin's definitions are exactly those (whitespace aside). Standard library only; mlp payloads (the
ACAS Xu and dense networks), every property kind. Exit 0: pinned as read; 1: a difference; 2: input
it does not handle.
"""
import hashlib, json, re, sys


def unhandled(why):
    print(why, file=sys.stderr)
    sys.exit(2)


def pack(bits):
    """One Nat literal per row, element j in bits 32j..32j+31 (`Num/Packed.lean`, `unpack`)."""
    digits = "".join(b[2:] for b in reversed(bits)).lstrip("0")
    return "0x" + (digits or "0")


def box(b):
    return "[" + ", ".join(f"⟨{lo}, {hi}⟩" for lo, hi in b) + "]"


def expected(payload, prop, tree):
    if payload["family"] != "mlp":
        unhandled(f"payload family {payload['family']!r}: this script reads mlp payloads only")
    widths, acts = payload["spec"]["widths"], payload["spec"]["activations"]
    nodes, params = [], []
    for i, (n, act) in enumerate(zip(widths[1:], acts)):
        nodes.append(f"⟨.linear, [{2 * i}], [{2 * i}, {2 * i + 1}], [{n}], []⟩")
        nodes.append(f"⟨.{act}, [{2 * i + 1}], [], [{n}], []⟩")
    graph = f"⟨[[{widths[0]}]], [{', '.join(nodes)}], [{2 * len(acts)}]⟩"
    for t in payload["tensors"]:
        shape, bits = t["shape"], t["f32"]
        dims = "[" + ", ".join(map(str, shape)) + "]"
        if len(shape) == 1:
            params.append(f"⟨{dims}, decodeList (unpack {len(bits)} {pack(bits)})⟩")
        else:
            rows = [pack(bits[r : r + shape[1]]) for r in range(0, len(bits), shape[1])]
            params.append(f"⟨{dims}, (decodeRows (unpackRows {shape[1]} [{', '.join(rows)}])).flatten⟩")
    kind = prop["kind"]
    if kind == "violation_dnf":
        rows = lambda c: "[" + ", ".join(f"⟨[{', '.join(r['coeffs'])}], {r['rhs']}, {str(r['strict']).lower()}⟩" for r in c) + "]"
        region, goal = box(prop["input_box"]), ".safe [" + ", ".join(rows(c) for c in prop["violation"]) + "]"
    elif kind == "linf_robust":
        region = f"ballBox [{', '.join(prop['center'])}] ({prop['epsilon']})"
        goal = f".robust {prop['label']} {prop['outputs']}"
    elif kind == "output_box" and tree:  # a split tree refutes the box's complement
        region, goal = box(prop["input_box"]), f".safe (outsideBox {box(prop['output_box'])})"
    elif kind == "output_box":
        region, goal = box(prop["input_box"]), ".box " + box(prop["output_box"])
    else:
        unhandled(f"property kind {kind!r}: unknown")
    claim = "ClaimS" if any(a in ("tanh", "sigmoid", "gelu") for a in acts) else "Claim"
    return {"graph": graph, "params": "[" + ", ".join(params) + "]", "region": region, "goal": goal}, claim


def definition(text, name):
    m = re.search(rf"def {name} : [^:]+ :=(.*?)\n\n", text, re.S)
    return "".join(m.group(1).split()) if m else None


def main(cert_dir, pin_path):
    read = lambda f: open(f"{cert_dir}/{f}", "rb").read()
    payload, prop = read("payload.json"), read("property.json")
    for name, data in (("payload.json", payload), ("property.json", prop)):
        print(f"{name}  sha256:{hashlib.sha256(data).hexdigest()}")
    tree = json.loads(read("certificate.json")).get("method") == "bab"
    want, claim = expected(json.loads(payload), json.loads(prop), tree)
    pin = open(pin_path, encoding="utf-8").read()
    bad = [k for k, v in want.items() if definition(pin, k) != "".join(v.split())]
    if not re.search(rf"\ntheorem pinned : {claim} graph params region goal := Certificates\.\w+\.certified_claim\n", pin):
        bad.append(f"theorem pinned : {claim} graph params region goal")
    for k in bad:
        print(f"DIFFERS: {k}")
    print("pinned as read" if not bad else f"{pin_path}: not the claim of {cert_dir}")
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        unhandled(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
