#!/usr/bin/python3
"""Loads weights saved by package nn into PyTorch and prints its outputs.

Usage: check_torch.py WEIGHTS INPUTS OUT. WEIGHTS is a safetensors file of
the digits network (64 → 32 tanh → 10 softmax) as nn.Network.Save writes
it; INPUTS holds a tensor "x". OUT receives PyTorch's softmax outputs as the
tensor "probs". The state_dict is loaded with strict=True, so a name or
shape PyTorch does not expect fails here.
"""
import json
import struct
import sys

import torch
from make_torch_fixture import save_safetensors


def load_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", info
        begin, end = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32)
        out[name] = t.reshape(info["shape"])
    return out


def main(weights, inputs, out):
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Tanh(), torch.nn.Linear(32, 10))
    model.load_state_dict(load_safetensors(weights), strict=True)
    x = load_safetensors(inputs)["x"]
    with torch.no_grad():
        probs = torch.softmax(model(x), dim=1)
    save_safetensors(out, {"probs": probs})


if __name__ == "__main__":
    main(*sys.argv[1:4])
