"""Writes a PyTorch model's Linear layers as vecgen's weights file.

save_vecgen(model, "model.safetensors") names the k-th nn.Linear's tensors
"2k.weight" ([out,in], as PyTorch holds it) and "2k.bias" (zeros when the
layer has none), as nn.Network.Load wants them. Only PyTorch is needed.
"""
import json
import struct

import torch


def save_vecgen(model, path):
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    header, blobs, offset = {}, [], 0
    for k, m in enumerate(linears):
        bias = m.bias if m.bias is not None else torch.zeros(m.out_features)
        for name, t in ((f"{2 * k}.weight", m.weight), (f"{2 * k}.bias", bias)):
            values = t.detach().to(torch.float32).flatten().tolist()
            data = struct.pack(f"<{len(values)}f", *values)
            header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
            blobs.append(data)
            offset += len(data)
    js = json.dumps(header).encode()
    js += b" " * (-len(js) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)) + js + b"".join(blobs))
