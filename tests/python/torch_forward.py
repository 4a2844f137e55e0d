"""Runs a PyTorch module torchlean generated on one binary32 input and prints the output bits.

usage: torch_forward.py MODULE.py [--payload PAYLOAD.json] [--batched] --shape 1,8,8 --input 0x..,0x..

MODULE.py defines `Model` (an exported family module, or a `codegen-pytorch` module). With
--payload, the weights come from the payload's binary32 bits (load_state_dict), so PyTorch and
torchlean evaluate the same numbers. --batched adds (and removes) the leading batch axis exported
family modules expect. Output: a JSON list of "0x%08x" strings, row-major.
"""
import argparse
import importlib.util
import json
import struct
import sys

import torch


def from_bits(words):
    return list(struct.unpack("<%df" % len(words), struct.pack("<%dI" % len(words), *words)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("module")
    ap.add_argument("--payload")
    ap.add_argument("--batched", action="store_true")
    ap.add_argument("--shape", required=True)
    ap.add_argument("--input", required=True)
    a = ap.parse_args()
    torch.set_num_threads(1)
    spec = importlib.util.spec_from_file_location("torchlean_module", a.module)
    mod = importlib.util.module_from_spec(spec)
    sys.path.insert(0, a.module.rsplit("/", 1)[0])
    spec.loader.exec_module(mod)
    model = mod.Model()
    if a.payload:
        with open(a.payload) as f:
            payload = json.load(f)
        state = {
            t["name"]: torch.tensor(from_bits([int(h, 16) for h in t["f32"]]), dtype=torch.float32).reshape(t["shape"])
            for t in payload["tensors"]
        }
        model.load_state_dict(state)
    model.eval()
    shape = [int(s) for s in a.shape.split(",")]
    x = torch.tensor(from_bits([int(h, 16) for h in a.input.split(",")]), dtype=torch.float32).reshape(shape)
    if a.batched:
        x = x.unsqueeze(0)
    with torch.no_grad():
        y = model(x)
    if a.batched:
        y = y.squeeze(0)
    out = y.reshape(-1).tolist()
    print(json.dumps(["0x%08x" % struct.unpack("<I", struct.pack("<f", v))[0] for v in out]))


if __name__ == "__main__":
    main()
