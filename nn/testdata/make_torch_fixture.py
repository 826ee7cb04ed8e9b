#!/usr/bin/python3
"""Makes torch_digits.safetensors and torch_digits_io.safetensors with PyTorch.

The model is spec/digits.yaml as an nn.Sequential: Linear(64, 32), Tanh,
Linear(32, 10), softmax on the output. It is trained for a few Adam steps
on random data so that its weights are not PyTorch's initial ones, then its
state_dict is written as safetensors, along with 100 inputs and PyTorch's
softmax outputs for them. Run with Debian's python3-torch:

    /usr/bin/python3 nn/testdata/make_torch_fixture.py nn/testdata
"""
import json
import struct
import sys

import torch


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


def main(out):
    torch.manual_seed(7)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Tanh(), torch.nn.Linear(32, 10))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    x = torch.rand(256, 64)
    labels = torch.randint(0, 10, (256,))
    for _ in range(20):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), labels).backward()
        opt.step()
    save_safetensors(out + "/torch_digits.safetensors", model.state_dict())
    inputs = torch.rand(100, 64)
    with torch.no_grad():
        probs = torch.softmax(model(inputs), dim=1)
    save_safetensors(out + "/torch_digits_io.safetensors", {"x": inputs, "probs": probs})


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
