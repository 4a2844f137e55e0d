"""Builds the ONNX files of tests/onnx.rs with the `onnx` package and runs them with onnxruntime.

    python3 tests/onnx_models.py OUT_DIR ACASXU_DIR

Writes into OUT_DIR:
  acas_<i>_<j>_gemm.onnx   the shared .nnet network as Gemm (transB=1) + Relu layers, input [1, 5]
  cnn.onnx                 Conv (padded) > BatchNormalization (exactly foldable) > Relu >
                           AveragePool > Conv > Relu > MaxPool > Flatten > Gemm
  elementwise.onnx         Sub, Mul, Div by 4, Relu, Add, all by constants, and a Reshape
  matmul_mlp.onnx          MatMul + Add layers, the first bias [1, out], the second Add's operands swapped
  bn_inexact.onnx          a BatchNormalization whose fold is not exact (var + eps = 2)
  bn_sequence.onnx         a BatchNormalization over axis 1 of a [1, 2, 2] MatMul output (the sequence)
  softplus.onnx            an op torchlean does not read
  conv_group.onnx          a grouped convolution
  cnn.folded.json          the BatchNormalization folded into conv1 by numpy, as binary32 bits
  matmul_mlp.folded.json   the mlp tensors expected (weights transposed to [out, in])
  <model>.ref.json         for cnn, elementwise, matmul_mlp and acas_1_1_gemm: seeded random binary32 inputs
                           and onnxruntime's outputs, as binary32 bits
"""
import json
import struct
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper


def bits(a):
    return ["0x%08x" % struct.unpack("<I", struct.pack("<f", float(v)))[0] for v in np.asarray(a, dtype=np.float32).ravel()]


def save(model, path):
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def read_nnet(path):
    lines = [l.strip() for l in Path(path).read_text().splitlines() if l.strip() and not l.startswith("//")]
    vals = lambda l: [v for v in l.split(",") if v.strip()]
    n_layers = int(vals(lines[0])[0])
    sizes = [int(v) for v in vals(lines[1])]
    pos = 7  # header, sizes, symmetric flag, mins, maxes, means, ranges
    layers = []
    for k in range(n_layers):
        rows, cols = sizes[k + 1], sizes[k]
        # np.float32 of the decimal text: Python reads it to the nearest binary64 first; the
        # test compares the result with torchlean's single rounding byte for byte.
        w = np.array([[np.float32(v) for v in vals(lines[pos + r])] for r in range(rows)], dtype=np.float32)
        pos += rows
        b = np.array([np.float32(vals(lines[pos + r])[0]) for r in range(rows)], dtype=np.float32)
        pos += rows
        layers.append((w, b))
    return sizes, layers


def acas_gemm(nnet, out):
    sizes, layers = read_nnet(nnet)
    nodes, inits = [], []
    prev = "X"
    for k, (w, b) in enumerate(layers):
        inits += [numpy_helper.from_array(w, f"W{k}"), numpy_helper.from_array(b, f"B{k}")]
        nodes.append(helper.make_node("Gemm", [prev, f"W{k}", f"B{k}"], [f"g{k}"], name=f"gemm{k}", transB=1))
        prev = f"g{k}"
        if k + 1 < len(layers):
            nodes.append(helper.make_node("Relu", [prev], [f"r{k}"], name=f"relu{k}"))
            prev = f"r{k}"
    graph = helper.make_graph(nodes, "acas", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, sizes[0]])],
                              [helper.make_tensor_value_info(prev, TensorProto.FLOAT, [1, sizes[-1]])], inits)
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), out)


def dyadic(rng, shape, denom=8, span=8):
    return (rng.integers(-span, span + 1, size=shape) / denom).astype(np.float32)


def cnn(out, rng):
    w1 = dyadic(rng, (2, 1, 3, 3))
    b1 = dyadic(rng, (2,))
    w2 = dyadic(rng, (3, 2, 2, 2))
    b2 = dyadic(rng, (3,))
    w3 = dyadic(rng, (2, 3))
    b3 = dyadic(rng, (2,))
    # var + eps = 1 and 4: the fold multiplies by scale / 1 and scale / 2, exactly.
    bn = dict(scale=np.array([2.0, 0.5], np.float32), B=np.array([0.25, -0.125], np.float32),
              mean=np.array([0.5, -0.25], np.float32), var=np.array([0.75, 3.75], np.float32))
    inits = [numpy_helper.from_array(a, n) for n, a in
             [("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2), ("w3", w3), ("b3", b3)] + list(bn.items())]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
        helper.make_node("BatchNormalization", ["c1", "scale", "B", "mean", "var"], ["n1"], name="bn1", epsilon=0.25),
        helper.make_node("Relu", ["n1"], ["r1"], name="relu1"),
        helper.make_node("AveragePool", ["r1"], ["p1"], name="avg1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "w2", "b2"], ["c2"], name="conv2", kernel_shape=[2, 2]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("MaxPool", ["r2"], ["p2"], name="max2", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p2"], ["f"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f", "w3", "b3"], ["y"], name="fc", transB=1),
    ]
    graph = helper.make_graph(nodes, "cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 6, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])], inits)
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), out)
    # The fold, computed here independently (every value is a short dyadic, so float32 is exact).
    s = bn["scale"] / np.sqrt(bn["var"] + np.float32(0.25))
    folded = {"layers.0.weight": bits(w1 * s[:, None, None, None]), "layers.0.bias": bits((b1 - bn["mean"]) * s + bn["B"]),
              "layers.3.weight": bits(w2), "layers.7.weight": bits(w3)}
    Path(str(out)[: -len(".onnx")] + ".folded.json").write_text(json.dumps(folded))


def elementwise(out, rng):
    c = rng.standard_normal((1, 6)).astype(np.float32)
    k = rng.standard_normal((6,)).astype(np.float32)
    d = rng.standard_normal((1, 6)).astype(np.float32)
    inits = [numpy_helper.from_array(c, "c"), numpy_helper.from_array(k, "k"), numpy_helper.from_array(d, "d"),
             numpy_helper.from_array(np.array([4.0], np.float32), "four"),
             numpy_helper.from_array(np.array([1, 6], np.int64), "shape")]
    nodes = [
        helper.make_node("Sub", ["x", "c"], ["a"], name="sub"),
        helper.make_node("Mul", ["a", "k"], ["m"], name="mul"),
        helper.make_node("Div", ["m", "four"], ["q"], name="div"),
        helper.make_node("Relu", ["q"], ["r"], name="relu"),
        helper.make_node("Reshape", ["r", "shape"], ["s"], name="reshape"),
        helper.make_node("Add", ["d", "s"], ["y"], name="add"),
    ]
    graph = helper.make_graph(nodes, "elementwise", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 6])], inits)
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), out)


def matmul_mlp(out, rng):
    """MatMul + Add layers whose first bias is [1, out] (a broadcast over the batch axis)."""
    w1, b1 = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((1, 4)).astype(np.float32)
    w2, b2 = rng.standard_normal((4, 2)).astype(np.float32), rng.standard_normal((2,)).astype(np.float32)
    inits = [numpy_helper.from_array(a, n) for n, a in [("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2)]]
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["m1"], name="mm1"), helper.make_node("Add", ["m1", "b1"], ["a1"], name="add1"),
             helper.make_node("Relu", ["a1"], ["r1"], name="relu1"),
             helper.make_node("MatMul", ["r1", "w2"], ["m2"], name="mm2"), helper.make_node("Add", ["b2", "m2"], ["y"], name="add2")]
    graph = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])], inits)
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), out)
    tensors = {"layers.0.weight": bits(w1.T), "layers.0.bias": bits(b1), "layers.1.weight": bits(w2.T), "layers.1.bias": bits(b2)}
    Path(str(out)[: -len(".onnx")] + ".folded.json").write_text(json.dumps(tensors))


def refused(out_dir):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4])
    w = numpy_helper.from_array(np.ones((2, 1, 3, 3), np.float32), "w")
    g = helper.make_graph([helper.make_node("Conv", ["x", "w"], ["y"], name="grouped", group=2)], "g", [x],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 2, 2])], [w])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), out_dir / "conv_group.onnx")
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])
    w = numpy_helper.from_array(np.ones((3, 3), np.float32), "w")
    g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["h"], name="mm"),
                           helper.make_node("Softplus", ["h"], ["y"], name="sp")], "s", [x],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])], [w])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), out_dir / "softplus.onnx")
    w = numpy_helper.from_array(np.ones((2, 3), np.float32), "w")
    b = numpy_helper.from_array(np.zeros((2,), np.float32), "b")
    inits = [w, b] + [numpy_helper.from_array(np.array(v, np.float32), n) for n, v in
                      [("s", [1, 1]), ("o", [0, 0]), ("m", [0, 0]), ("v", [1.75, 1.75])]]
    g = helper.make_graph([helper.make_node("Gemm", ["x", "w", "b"], ["h"], name="fc", transB=1),
                           helper.make_node("BatchNormalization", ["h", "s", "o", "m", "v"], ["y"], name="bn", epsilon=0.25)],
                          "b", [x], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])], inits)
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), out_dir / "bn_inexact.onnx")
    # On [1, 2, 2] the channel axis of BatchNormalization is the sequence, not the MatMul's features.
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 2])
    inits = [numpy_helper.from_array(np.eye(2, dtype=np.float32), "w")] + [numpy_helper.from_array(np.array(v, np.float32), n) for n, v in
                                                                         [("s", [2, 0.5]), ("o", [0, 0]), ("m", [0, 0]), ("v", [0.75, 0.75])]]
    g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["h"], name="mm"),
                           helper.make_node("BatchNormalization", ["h", "s", "o", "m", "v"], ["y"], name="bn", epsilon=0.25)],
                          "q", [x], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 2])], inits)
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), out_dir / "bn_sequence.onnx")


def reference(model, shape, rng, n=8, scale=1.0):
    sess = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    ins, outs = [], []
    for _ in range(n):
        x = (rng.standard_normal(shape) * scale).astype(np.float32)
        (y,) = sess.run(None, {name: x})
        ins.append(bits(x))
        outs.append(bits(y))
    Path(str(model)[: -len(".onnx")] + ".ref.json").write_text(json.dumps({"inputs": ins, "outputs": outs}))


def main():
    out, acas = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261207)
    for net in ["1_1", "1_7", "2_1"]:
        acas_gemm(acas / f"ACASXU_run2a_{net}_batch_2000.nnet", out / f"acas_{net}_gemm.onnx")
    cnn(out / "cnn.onnx", rng)
    elementwise(out / "elementwise.onnx", rng)
    matmul_mlp(out / "matmul_mlp.onnx", rng)
    refused(out)
    reference(out / "acas_1_1_gemm.onnx", (1, 5), rng, scale=0.3)
    reference(out / "cnn.onnx", (1, 1, 6, 6), rng)
    reference(out / "elementwise.onnx", (1, 6), rng)
    reference(out / "matmul_mlp.onnx", (1, 3), rng)
    print("ok")


if __name__ == "__main__":
    main()
