"""The network of `cancel.nnet` in PyTorch float32 at x = 3/2, twice: summed in torchlean's declared
order (each dot product left to right, a separate multiply and add per term, the bias last) and
with PyTorch's own `nn.Linear` kernels. Prints one JSON object of binary32 bit patterns.

    python3 examples/binary32/pytorch_forward.py
"""
import json
import struct

import torch


def bits(t):
    return "0x%08x" % struct.unpack("<I", struct.pack("<f", float(t)))[0]


W1 = torch.tensor([[2.0**25], [0.0], [2.0**25]], dtype=torch.float32)
B1 = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float32)
W2 = torch.tensor([[1.0, 1.0, -1.0]], dtype=torch.float32)
B2 = torch.tensor([0.0], dtype=torch.float32)


class DeclaredOrder(torch.nn.Module):
    """A linear layer as torchlean's IR declares it (`docs/ir.md`): one rounding per multiply and
    per add, terms added left to right, the bias last."""

    def __init__(self, w, b):
        super().__init__()
        self.w, self.b = w, b

    def forward(self, x):
        rows = []
        for o in range(self.w.shape[0]):
            s = self.w[o, 0] * x[0]
            for i in range(1, self.w.shape[1]):
                s = s + self.w[o, i] * x[i]
            rows.append(s + self.b[o])
        return torch.stack(rows)


def main():
    torch.use_deterministic_algorithms(True)
    x = torch.tensor([1.5], dtype=torch.float32)
    declared = DeclaredOrder(W2, B2)(torch.relu(DeclaredOrder(W1, B1)(x)))
    linear = torch.nn.Sequential(torch.nn.Linear(1, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    with torch.no_grad():
        linear[0].weight.copy_(W1)
        linear[0].bias.copy_(B1)
        linear[2].weight.copy_(W2)
        linear[2].bias.copy_(B2)
        default = linear(x)
    print(json.dumps({"declared_order": bits(declared[0]), "nn_linear": bits(default[0]), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
