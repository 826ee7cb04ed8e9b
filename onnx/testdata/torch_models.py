#!/usr/bin/python3
"""Exports nn.Sequential models to ONNX with PyTorch, with inputs and outputs.

Usage: torch_models.py OUTDIR. For each model it writes NAME.onnx and
NAME_io.safetensors (tensors "x", the inputs, and "y", PyTorch's outputs),
NAME_state.safetensors (the state_dict as save_vecgen.py writes it),
NAME.pt (the module, for loading vecgen's weights back into it), and
OUTDIR/models.json lists the models: name, opset, the batch the import
should use, and whether the import keeps the state_dict's values exactly
(not when it folds a BatchNorm1d). Between them the models cover every op
vecgen imports (Gemm and MatMul + Add, bias first or none; Relu, LeakyRelu,
Sigmoid, Tanh, Softmax, LogSoftmax, GELU's tanh and exact forms, SiLU, BatchNorm1d
between a Linear and its activation, Flatten, Dropout, Identity) at
opsets 9, 11, 13 and 17, with odd widths and inputs of rank 2 and 3. A
model that ends in LogSoftmax has its outputs saved as probabilities
(exp), as vecgen's softmax gives them.

    /usr/bin/python3 onnx/testdata/torch_models.py OUTDIR
"""
import json
import struct
import sys
import warnings

import torch
from torch import nn

from save_vecgen import save_vecgen

warnings.filterwarnings("ignore")


def save_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().contiguous().to(torch.float32).numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    js = json.dumps(header).encode()
    js += b" " * (-len(js) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for b in blobs:
            f.write(b)


def models():
    gelu = lambda: nn.GELU(approximate="tanh")
    # name, opset, batch, input shape (rows first), layers
    yield "flatrelu", 11, 4, (10, 3, 5), [
        nn.Flatten(), nn.Linear(15, 7), nn.ReLU(), nn.Dropout(0.3), nn.Linear(7, 3), nn.Softmax(dim=1)]
    yield "leakymatmul", 17, 1, (9, 5), [
        nn.Linear(5, 9), nn.LeakyReLU(), nn.Linear(9, 17, bias=False), nn.Tanh(), nn.Linear(17, 1), nn.Sigmoid()]
    yield "rank3gelu", 17, 3, (5, 2, 6), [
        nn.Linear(6, 11), gelu(), nn.Linear(11, 13), nn.SiLU(), nn.Linear(13, 5), nn.Softmax(dim=-1)]
    yield "geluidentity", 11, 7, (12, 33), [
        nn.Linear(33, 31), gelu(), nn.Identity(), nn.Linear(31, 2), nn.SiLU(), nn.Linear(2, 3)]
    yield "rank3nobias", 11, 2, (3, 3, 8), [
        nn.Linear(8, 16, bias=False), nn.LeakyReLU(), nn.Linear(16, 9), nn.Softmax(dim=-1)]
    yield "opset13", 13, 5, (11, 8), [
        nn.Linear(8, 6), nn.Tanh(), nn.Dropout(), nn.Linear(6, 4), nn.Softmax(dim=-1)]
    yield "opset9", 9, 2, (6, 4), [
        nn.Linear(4, 3), nn.Sigmoid()]
    yield "batchnorm", 13, 4, (9, 10), [
        nn.Linear(10, 12), nn.BatchNorm1d(12), nn.ReLU(), nn.Linear(12, 6, bias=False), nn.BatchNorm1d(6),
        nn.Linear(6, 4), nn.LogSoftmax(dim=1)]
    yield "exactgelu", 13, 3, (7, 9), [
        nn.Linear(9, 14), nn.GELU(), nn.Linear(14, 6), nn.GELU(), nn.Linear(6, 2)]
    yield "logsoftmax", 11, 2, (5, 7), [
        nn.Flatten(), nn.Linear(7, 5), nn.Tanh(), nn.Linear(5, 3), nn.LogSoftmax(dim=-1)]


def main(out):
    torch.manual_seed(15)
    index = []
    for name, opset, batch, shape, layers in models():
        model = nn.Sequential(*layers).eval()
        with torch.no_grad():
            for p in model.parameters():  # weights of several magnitudes
                p.mul_(1.5)
            for m in model.modules():  # running statistics as training leaves them
                if isinstance(m, nn.BatchNorm1d):
                    m.running_mean.copy_(torch.randn(m.num_features))
                    m.running_var.copy_(torch.rand(m.num_features) * 3 + 0.2)
        x = torch.randn(*shape) * 2
        with torch.no_grad():
            y = model(x)
        if isinstance(layers[-1], nn.LogSoftmax):
            y = y.exp()
        torch.onnx.export(model, x, f"{out}/{name}.onnx", opset_version=opset)
        save_safetensors(f"{out}/{name}_io.safetensors", {"x": x, "y": y})
        save_vecgen(model, f"{out}/{name}_state.safetensors")
        torch.save(model, f"{out}/{name}.pt")
        folds = any(isinstance(m, nn.BatchNorm1d) for m in model.modules())
        index.append({"name": name, "opset": opset, "batch": batch, "exact": not folds})
    with open(f"{out}/models.json", "w") as f:
        json.dump(index, f)


if __name__ == "__main__":
    main(sys.argv[1])
