#!/usr/bin/python3
"""Times what a Go user would otherwise call, numpy and PyTorch, on one thread.

The cases mirror the vecgen benchmarks, and the output is Go benchmark
format, so internal/benchreport reads it together with go test's:

    BenchmarkProduct/<product>/{numpy,torch}       each product of
        internal/compare (spec/fashion.yaml at batch 64 and its batch-1
        twin), with what vecgen's kernel fuses where a library user writes
        it: the forward products add the bias and apply the activation;
        dW and dX are the bare products
    BenchmarkProduct/L3Forward/{numpy,torch}-bare  the L3 product alone
    BenchmarkPredictOne/{numpy,torch}              the whole batch-1 forward
    BenchmarkTrainStep/sgd/samples=N/procs=1/{numpy,torch}
                                                   one SGD step with softmax
                                                   cross-entropy, N = 64, 256

Everything is float32. PyTorch keeps nn.Linear's layout (weight is
out×in) and computes the backward products as autograd does for it:
dW = dZᵀ·X, dX = dZ·W. It also prints "blas:", "numpy:" and "torch:"
configuration lines naming the BLAS library and its core.

    peers.py [-count 10] [-benchtime 200ms] [-bench REGEXP]
    peers.py -check     compare numpy with PyTorch and exit

Run it with Debian's python3-numpy and python3-torch (make deps).
"""
import os

# OpenBLAS and OpenMP read these when they load, so before numpy and torch.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import ctypes
import gc
import re
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

try:
    import threadpoolctl
except ImportError:
    threadpoolctl = None

LAYERS = [(784, 256, "relu"), (256, 128, "relu"), (128, 10, "softmax")]

# name, m, k, n, kind: as in compare_test.go. "forward" is c = a·b,
# "dW" is c = aᵀ·b (a is k×m), "dX" is c = a·bᵀ (b is n×k).
PRODUCTS = [
    ("L1Forward", 64, 784, 256, "forward"),
    ("L2Forward", 64, 256, 128, "forward"),
    ("L3Forward", 64, 128, 10, "forward"),
    ("L1WeightGrad", 784, 64, 256, "dW"),
    ("L2WeightGrad", 256, 64, 128, "dW"),
    ("L3WeightGrad", 128, 64, 10, "dW"),
    ("L2InputGrad", 64, 128, 256, "dX"),
    ("L3InputGrad", 64, 10, 128, "dX"),
    ("B1L1Forward", 1, 784, 256, "forward"),
    ("B1L2Forward", 1, 256, 128, "forward"),
    ("B1L3Forward", 1, 128, 10, "forward"),
]



def uniform(rng, *shape):
    return rng.uniform(-1, 1, shape).astype(np.float32)


def np_act(z, act):
    """Applies act to z in place, per row for softmax."""
    if act == "relu":
        np.maximum(z, 0, out=z)
    else:
        z -= z.max(axis=-1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=-1, keepdims=True)
    return z


def torch_act(z, act):
    return torch.relu_(z) if act == "relu" else torch.softmax(z, dim=-1)


def product_cases(rng):
    """Yields (name, flops, numpy fn, torch fn) for every product.

    A batch-1 product takes its sample as a vector, as one serves a
    single input.
    """
    for name, m, k, n, kind in PRODUCTS:
        flops = 2 * m * k * n
        if kind == "forward":
            act = LAYERS[int(name[name.index("Forward") - 1]) - 1][2]
            x = uniform(rng, k) if m == 1 else uniform(rng, m, k)
            w, b = uniform(rng, k, n), uniform(rng, n)
            tx, tw, tb = torch.from_numpy(x), torch.from_numpy(w.T.copy()), torch.from_numpy(b)

            def np_fn(x=x, w=w, b=b, act=act):
                z = x @ w
                z += b
                return np_act(z, act)

            def torch_fn(tx=tx, tw=tw, tb=tb, act=act):
                return torch_act(F.linear(tx, tw, tb), act)

            yield name, flops, np_fn, torch_fn
            if name == "L3Forward":
                yield name + "/bare", flops, lambda x=x, w=w: x @ w, lambda tx=tx, tw=tw: F.linear(tx, tw)
        elif kind == "dW":
            x, dz = uniform(rng, k, m), uniform(rng, k, n)
            tx, tdz = torch.from_numpy(x), torch.from_numpy(dz)
            yield name, flops, lambda x=x, dz=dz: x.T @ dz, lambda tx=tx, tdz=tdz: tdz.t().mm(tx)
        else:
            dz, w = uniform(rng, m, k), uniform(rng, n, k)
            tdz, tw = torch.from_numpy(dz), torch.from_numpy(w.T.copy())
            yield name, flops, lambda dz=dz, w=w: dz @ w.T, lambda tdz=tdz, tw=tw: tdz.mm(tw)


def he(rng, fan_in, fan_out):
    return (rng.standard_normal((fan_in, fan_out)) * np.sqrt(2 / fan_in)).astype(np.float32)


class NumpyMLP:
    """784-256-128-10 as the classic numpy MLP: w is in×out, biases are
    vectors, the backward pass is written out by hand."""

    def __init__(self, rng):
        self.params = []
        for fan_in, fan_out, _ in LAYERS:
            self.params += [he(rng, fan_in, fan_out), np.zeros(fan_out, np.float32)]

    def predict_one(self, x):
        w1, b1, w2, b2, w3, b3 = self.params
        h = x @ w1
        h += b1
        np.maximum(h, 0, out=h)
        h = h @ w2
        h += b2
        np.maximum(h, 0, out=h)
        z = h @ w3
        z += b3
        z -= z.max()
        np.exp(z, out=z)
        z /= z.sum()
        return z

    def train_step(self, x, y, lr):
        """One SGD step on samples x with one-hot targets y; returns the
        mean cross-entropy."""
        w1, b1, w2, b2, w3, b3 = self.params
        n = x.shape[0]
        a1 = np.maximum(x @ w1 + b1, 0)
        a2 = np.maximum(a1 @ w2 + b2, 0)
        z3 = a2 @ w3 + b3
        z3 -= z3.max(axis=1, keepdims=True)
        p = np.exp(z3)
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.log((p * y).sum(axis=1)).mean()
        dz3 = (p - y) / n
        dz2 = (dz3 @ w3.T) * (a2 > 0)
        dz1 = (dz2 @ w2.T) * (a1 > 0)
        grads = [x.T @ dz1, dz1.sum(axis=0), a1.T @ dz2, dz2.sum(axis=0), a2.T @ dz3, dz3.sum(axis=0)]
        for p_, g in zip(self.params, grads):
            p_ -= lr * g
        return loss


def torch_model(mlp=None, softmax=False):
    """784-256-128-10 as an nn.Sequential, with mlp's weights if given."""
    mods = []
    for fan_in, fan_out, act in LAYERS:
        mods.append(torch.nn.Linear(fan_in, fan_out))
        if act == "relu":
            mods.append(torch.nn.ReLU())
    if softmax:
        mods.append(torch.nn.Softmax(dim=-1))
    model = torch.nn.Sequential(*mods)
    if mlp is not None:
        linears = [m for m in model if isinstance(m, torch.nn.Linear)]
        with torch.no_grad():
            for lin, w, b in zip(linears, mlp.params[0::2], mlp.params[1::2]):
                lin.weight.copy_(torch.from_numpy(w.T))
                lin.bias.copy_(torch.from_numpy(b))
    return model


def samples(rng, n):
    """n inputs from a standard normal and their one-hot targets, as nn's
    benchmarks draw them; also the targets as class indices."""
    x = rng.standard_normal((n, LAYERS[0][0])).astype(np.float32)
    labels = rng.integers(0, LAYERS[-1][1], n)
    y = np.zeros((n, LAYERS[-1][1]), np.float32)
    y[np.arange(n), labels] = 1
    return x, y, labels


LR = 1e-3


def network_cases(rng):
    """Yields (name, metric, numpy fn, torch fn) for the whole-network cases.
    metric is None or (unit, amount per call)."""
    mlp = NumpyMLP(rng)
    serving = torch_model(mlp, softmax=True)
    x1 = samples(rng, 1)[0][0]
    tx1 = torch.from_numpy(x1)

    def torch_predict_one():
        with torch.no_grad():
            return serving(tx1)

    yield "BenchmarkPredictOne", None, lambda: mlp.predict_one(x1), torch_predict_one
    for n in (64, 256):
        x, y, labels = samples(rng, n)
        net = NumpyMLP(rng)
        model = torch_model(net)
        loss_fn = torch.nn.CrossEntropyLoss()
        opt = torch.optim.SGD(model.parameters(), lr=LR)
        tx, tlabels = torch.from_numpy(x), torch.from_numpy(labels)

        def torch_step(model=model, loss_fn=loss_fn, opt=opt, tx=tx, tlabels=tlabels):
            opt.zero_grad()
            loss = loss_fn(model(tx), tlabels)
            loss.backward()
            opt.step()
            return loss

        name = "BenchmarkTrainStep/sgd/samples=%d/procs=1" % n
        yield name, ("samples/s", n), lambda net=net, x=x, y=y: net.train_step(x, y, LR), torch_step


def parse_benchtime(s):
    """Returns (seconds, None) for "200ms" and the like, (None, n) for "100x"."""
    if s.endswith("x"):
        return None, int(s[:-1])
    for suffix, scale in (("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1.0), ("m", 60.0)):
        if s.endswith(suffix):
            return float(s[: -len(suffix)]) * scale, None
    raise ValueError("cannot read benchtime %r" % s)


def timed(fn, n):
    t0 = time.perf_counter_ns()
    for _ in range(n):
        fn()
    return time.perf_counter_ns() - t0


def iterations(fn, seconds):
    """The number of calls of fn that take about seconds, found as go test
    does: grow a trial run until it takes a tenth of that, then scale."""
    n = 1
    while True:
        t = timed(fn, n)
        if t >= seconds * 1e8 or n >= 1 << 30:
            return max(1, round(n * seconds * 1e9 / max(t, 1)))
        n *= 10 if t < seconds * 1e7 else 2


def pretty(x):
    """Formats like go test: fewer decimals for larger values."""
    for limit, fmt in ((99.995, "%.0f"), (9.9995, "%.1f"), (0.99995, "%.2f")):
        if x >= limit:
            return fmt % x
    return "%.3f" % x


def report(name, n, ns, metric):
    line = "%-52s\t%8d\t%12s ns/op" % (name, n, pretty(ns / n))
    if metric is not None:
        unit, amount = metric
        scale = 1e9 if unit == "GFLOP/s" else 1
        line += "\t%12s %s" % (pretty(amount * n / (ns / 1e9) / scale), unit)
    print(line, flush=True)


class DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


def provider(module, symbol):
    """The real path of the library that the extension module's symbol
    resolves to (dlsym searches the module's dependencies), or None."""
    try:
        addr = ctypes.cast(getattr(ctypes.CDLL(module), symbol), ctypes.c_void_p).value
    except (OSError, AttributeError):
        return None
    info = DlInfo()
    if not ctypes.CDLL(None).dladdr(ctypes.c_void_p(addr), ctypes.byref(info)):
        return None
    return os.path.realpath(info.dli_fname.decode())


def plural(n, word):
    return "%d %s%s" % (n, word, "" if n == 1 else "s")


def describe(path):
    """Names the BLAS library at path (or the OpenBLAS it wraps, as Debian's
    libblas.so.3 does), its core and its threads."""
    core = provider(path, "openblas_get_corename")
    if core is None:
        return os.path.basename(path)
    if threadpoolctl is not None:
        for i in threadpoolctl.threadpool_info():
            if os.path.realpath(i["filepath"]) == core:
                return "%s %s, core %s, %s, %s" % (i["internal_api"], i.get("version"), i.get("architecture"),
                                                   i.get("threading_layer"), plural(i["num_threads"], "thread"))
    lib = ctypes.CDLL(core)
    lib.openblas_get_corename.restype = ctypes.c_char_p
    lib.openblas_get_config.restype = ctypes.c_char_p
    lib.openblas_set_num_threads(1)
    return "%s, core %s, %s" % (lib.openblas_get_config().decode(), lib.openblas_get_corename().decode(),
                                plural(lib.openblas_get_num_threads(), "thread"))


def blas_info():
    """Limits every thread pool to one thread and names the BLAS numpy's
    and torch's matrix products call."""
    if threadpoolctl is not None:
        threadpoolctl.threadpool_limits(1)
    try:
        from numpy._core import _multiarray_umath as umath
    except ImportError:
        from numpy.core import _multiarray_umath as umath
    import torch._C
    libs = {}
    for name, module, symbol in (("numpy", umath.__file__, "cblas_sgemm"),
                                 ("torch", os.path.join(os.path.dirname(torch._C.__file__), "lib", "libtorch_cpu.so"),
                                  "sgemm_")):
        path = provider(module, symbol)
        libs[name] = describe(path) if path else "unknown"
    if libs["numpy"] == libs["torch"]:
        return libs["numpy"]
    return "; ".join("%s: %s" % kv for kv in libs.items())


def run(args):
    seconds, fixed = parse_benchtime(args.benchtime)
    pattern = re.compile(args.bench)
    rng = np.random.default_rng(1)
    cases = []
    for name, flops, np_fn, torch_fn in product_cases(rng):
        base, _, bare = name.partition("/")
        for lib, fn in (("numpy", np_fn), ("torch", torch_fn)):
            full = "BenchmarkProduct/%s/%s%s" % (base, lib, "-" + bare if bare else "")
            cases.append((full, ("GFLOP/s", flops), fn))
    for name, metric, np_fn, torch_fn in network_cases(rng):
        cases.append((name + "/numpy", metric, np_fn))
        cases.append((name + "/torch", metric, torch_fn))
    for name, metric, fn in cases:
        if not pattern.search(name):
            continue
        fn()
        n = fixed or iterations(fn, seconds)
        for _ in range(args.count):
            gc.disable()
            ns = timed(fn, n)
            gc.enable()
            report(name, n, ns, metric)


def check():
    """Fails unless numpy and PyTorch compute the same thing in every case,
    in float32, on one thread."""
    failures = []

    def expect(ok, what):
        if not ok:
            failures.append(what)

    rng = np.random.default_rng(2)
    for name, _, np_fn, torch_fn in product_cases(rng):
        got, want = np_fn(), torch_fn().numpy()
        if name.endswith("WeightGrad"):
            want = want.T
        expect(got.dtype == np.float32, "%s: numpy computes in %s" % (name, got.dtype))
        expect(got.shape == want.shape and np.allclose(got, want, rtol=1e-4, atol=1e-4),
               "%s: numpy and torch differ" % name)
    mlp = NumpyMLP(rng)
    x, y, labels = samples(rng, 64)
    got = mlp.predict_one(x[0])
    with torch.no_grad():
        want = torch_model(mlp, softmax=True)(torch.from_numpy(x[0])).numpy()
    expect(got.dtype == np.float32 and np.allclose(got, want, rtol=1e-4, atol=1e-6),
           "PredictOne: numpy and torch differ")
    model = torch_model(mlp)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    opt.zero_grad()
    tloss = torch.nn.CrossEntropyLoss()(model(torch.from_numpy(x)), torch.from_numpy(labels))
    tloss.backward()
    opt.step()
    loss = mlp.train_step(x, y, 0.1)
    expect(abs(loss - tloss.item()) < 1e-4, "train step: loss %g, torch %g" % (loss, tloss.item()))
    for i, p in enumerate(model.parameters()):
        want = p.detach().numpy()
        got = mlp.params[i].T if want.ndim == 2 else mlp.params[i]
        expect(got.dtype == np.float32, "train step: parameter %d is %s" % (i, got.dtype))
        expect(np.allclose(got, want, rtol=1e-4, atol=1e-5), "train step: parameter %d differs from torch's" % i)
    expect(torch.get_num_threads() == 1, "torch runs %d threads" % torch.get_num_threads())
    if threadpoolctl is not None:
        for i in threadpoolctl.threadpool_info():
            expect(i["num_threads"] == 1, "%s runs %d threads" % (i["filepath"], i["num_threads"]))
    for f in failures:
        print("FAIL:", f)
    print("FAIL" if failures else "ok")
    return not failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-count", type=int, default=1, help="runs of each case")
    ap.add_argument("-benchtime", default="1s", help="time of each run (200ms), or calls (100x)")
    ap.add_argument("-bench", default=".", help="run only the cases whose name matches")
    ap.add_argument("-check", action="store_true", help="compare numpy with torch and exit")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    blas = blas_info()
    if args.check:
        sys.exit(0 if check() else 1)
    print("blas:", blas)
    print("numpy:", np.__version__)
    print("torch:", torch.__version__)
    run(args)


if __name__ == "__main__":
    main()
