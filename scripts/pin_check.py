#!/usr/bin/env python3
"""Confirm, without torchlean, that a pin states the claim of a certificate's artifacts.

    python3 scripts/pin_check.py CERT_DIR lean/Pins/<Module>.lean

`torchlean check` writes `lean/Pins/<Module>.lean` and has Lean accept the certificate's final
theorem at `Claim graph params region goal` (`lean/TorchLean/Cert/Claim.lean`). This script is the
reviewer's own link from the bytes to that statement: it reads CERT_DIR/payload.json and
property.json (print their SHA-256 and compare with `sha256sum`), writes the graph, parameters,
region and goal the way `IR/Graph.lean` and `Cert/Claim.lean` define them, and demands that the
pin's definitions are exactly those (whitespace aside). Standard library only; mlp payloads (the
ACAS Xu and dense networks) and cnn payloads, every property kind. Exit 0: pinned as read; 1: a difference; 2: input
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


def nats(v):
    return "[" + ", ".join(map(str, v)) + "]"


def mlp_nodes(spec):
    """`layers.i.linear` then its activation, per layer (`src/model/lower.rs`)."""
    widths, nodes = spec["widths"], []
    for i, (n, act) in enumerate(zip(widths[1:], spec["activations"])):
        nodes.append(("linear", [n], [], True))
        nodes.append((act, [n], [], False))
    return [widths[0]], nodes


def cnn_nodes(spec):
    """One node per layer; `[C, H, W]` shapes as PyTorch computes them; attributes in the order
    `IR/Graph.lean` documents (conv2d: in, out, kh, kw, sh, sw, ph, pw; pools: kh, kw, sh, sw)."""
    shape, nodes = list(spec["input"]), []
    for l in spec["layers"]:
        op = l["op"]
        if op == "conv2d":
            k, st, p = l["kernel"], l["stride"], l["padding"]
            shape = [l["out_channels"]] + [(d + 2 * p - k) // st + 1 for d in shape[1:]]
            nodes.append((op, shape, [l["in_channels"], l["out_channels"], k, k, st, st, p, p], True))
        elif op in ("maxpool2d", "avgpool2d"):
            k, st = l["kernel"], l["stride"]
            shape = [shape[0]] + [(d - k) // st + 1 for d in shape[1:]]
            nodes.append((op, shape, [k, k, st, st], False))
        elif op == "flatten":
            shape = [shape[0] * shape[1] * shape[2]]
            nodes.append((op, shape, [], False))
        elif op == "linear":
            shape = [l["out_features"]]
            nodes.append((op, shape, [], True))
        elif op == "relu":
            nodes.append((op, shape, [], False))
        else:
            unhandled(f"cnn layer {op!r}: unknown")
    return list(spec["input"]), nodes


def expected(payload, prop, tree):
    family = payload["family"]
    if family not in ("mlp", "cnn"):
        unhandled(f"payload family {family!r}: this script reads mlp and cnn payloads")
    inputs, spec_nodes = (mlp_nodes if family == "mlp" else cnn_nodes)(payload["spec"])
    nodes, params, used = [], [], 0
    for k, (op, shape, attrs, has_params) in enumerate(spec_nodes):
        ps = [used, used + 1] if has_params else []
        used += len(ps)
        nodes.append(f"⟨.{op}, [{k}], {nats(ps)}, {nats(shape)}, {nats(attrs)}⟩")
    graph = f"⟨[{nats(inputs)}], [{', '.join(nodes)}], [{len(spec_nodes)}]⟩"
    acts = [n[0] for n in spec_nodes]
    for t in payload["tensors"]:
        shape, bits = t["shape"], t["f32"]
        dims = "[" + ", ".join(map(str, shape)) + "]"
        if len(shape) == 1:
            params.append(f"⟨{dims}, decodeList (unpack {len(bits)} {pack(bits)})⟩")
        else:
            c = max(shape[-1], 1)
            rows = [pack(bits[r : r + c]) for r in range(0, len(bits), c)]
            params.append(f"⟨{dims}, (decodeRows (unpackRows {c} [{', '.join(rows)}])).flatten⟩")
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
