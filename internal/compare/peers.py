#!/usr/bin/python3
"""Times what a Go user would otherwise call, numpy and PyTorch, on one thread
(and a PyTorch training epoch on two).

The cases mirror the vecgen benchmarks, and the output is Go benchmark
format, so internal/benchreport reads it together with go test's:

    BenchmarkProduct/<product>/{numpy,torch}       each product of
        internal/compare (spec/fashion.yaml at batch 64 and its batch-1
        twin, and spec/wide.yaml's L1 and L2 products, named Wide…), with
        what vecgen's kernel fuses where a library user writes it: the
        forward products add the bias and apply the activation; dW and dX
        are the bare products
    BenchmarkProduct/L3Forward/{numpy,torch}-bare  the L3 product alone
    BenchmarkPredictOne/{numpy,torch}              the whole batch-1 forward
    BenchmarkPredictRows/rows=N/{numpy,torch}      the whole forward of N rows
        as one matrix, softmax over each row, N = 1, 2, 4, 8, 16, 32, 64,
        100, 1000: the pair of nn's Predict of N samples on spec/fashion.yaml
    BenchmarkPredictOneInt8/torch                  the forward of one row (a
        1×784 matrix) through PyTorch's dynamic quantization of the same
        model, torch.ao.quantization.quantize_dynamic of its nn.Linear
        layers to qint8: the pair of nn's int8 Predict of one sample
    BenchmarkPredictInt8/torch                     the same of 64 rows, the
        pair of nn's int8 Predict of 64 samples
    BenchmarkTrainStep/sgd/samples=N/procs=1/{numpy,torch}
                                                   one SGD step with softmax
                                                   cross-entropy, N = 64, 256
    BenchmarkTrainStepWide/sgd/samples=128/procs=1/{numpy,torch}
                                                   the same step of
                                                   spec/wide.yaml on its batch
    BenchmarkFitEpoch/workers=N/torch              one epoch of Fashion-MNIST's
        60,000 training images in PyTorch's usual loop (shuffled batches of
        64 drawn from in-memory tensors, Adam at 1e-3) with
        torch.set_num_threads(N), N = 1, 2: the pair of nn's Fit with N
        workers. Like go test's BenchmarkFitEpoch, each run trains a fresh
        model for -benchtime Nx epochs (one for a -benchtime in seconds)

Everything is float32 but the Int8 cases' products. PyTorch keeps
nn.Linear's layout (weight is out×in) and computes the backward products
as autograd does for it: dW = dZᵀ·X, dX = dZ·W. It also prints "blas:", "numpy:" and "torch:"
configuration lines naming the BLAS library and its core, and when the
Int8 cases run a "qengine:" line naming PyTorch's quantized engine: the
first it supports of fbgemm, x86, onednn and qnnpack. Without any, those
cases and -check fail.

    peers.py [-count 10] [-benchtime 200ms] [-bench REGEXP] [-skip REGEXP] [-fashion DIR]
    peers.py -check     compare numpy with PyTorch and exit

-fashion names the directory of the Fashion-MNIST IDX files, by default
where Debian's dataset-fashion-mnist installs them; without them the epoch
cases are skipped with a message on stderr. Run it with Debian's
python3-numpy, python3-torch and python3-threadpoolctl (make deps).
"""
import os

# OpenBLAS and OpenMP read these when they load, so before numpy and torch.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
# QNNPACK's dynamic quantized Linear logs a warning on every call (the
# module always asks for reduce_range, which QNNPACK ignores): the log's
# level, read when torch loads, keeps errors only.
os.environ.setdefault("GLOG_minloglevel", "2")

import argparse
import contextlib
import ctypes
import gc
import gzip
import re
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

try:
    import threadpoolctl
except ImportError:
    threadpoolctl = None

# The layers (in, out, activation) of spec/fashion.yaml, the network of
# every case but the Wide ones, and of spec/wide.yaml.
LAYERS = [(784, 256, "relu"), (256, 128, "relu"), (128, 10, "softmax")]
WIDE_LAYERS = [(1024, 2048, "relu"), (2048, 1024, "relu"), (1024, 16, "softmax")]

# The layers of a product by the prefix of its name: Fashion, its batch-1
# twin (B1) and Wide.
PRODUCT_LAYERS = {"": LAYERS, "B1": LAYERS, "Wide": WIDE_LAYERS}

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
    ("WideL1Forward", 128, 1024, 2048, "forward"),
    ("WideL2Forward", 128, 2048, 1024, "forward"),
    ("WideL1WeightGrad", 1024, 128, 2048, "dW"),
    ("WideL2WeightGrad", 2048, 128, 1024, "dW"),
    ("WideL2InputGrad", 128, 1024, 2048, "dX"),
]

# The row counts of the whole-forward cases, as nn's BenchmarkPredictRows.
PREDICT_ROWS = (1, 2, 4, 8, 16, 32, 64, 100, 1000)

# The int8 serving cases: the nn benchmark each pairs with and its rows,
# each one of PREDICT_ROWS.
INT8_PREDICTS = [("BenchmarkPredictOneInt8", 1), ("BenchmarkPredictInt8", 64)]

# PyTorch's quantized engines in order of preference: fbgemm (x86; "x86"
# in newer PyTorch picks between it and oneDNN), oneDNN, QNNPACK (ARM).
QENGINES = ("fbgemm", "x86", "onednn", "qnnpack")

# How far the int8 cases' softmax outputs may be from numpy's float32 ones.
INT8_ATOL = 0.05



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


def forward_activation(name):
    """The activation of the forward product name: "WideL2Forward" is layer
    2 of WIDE_LAYERS."""
    prefix, layer = re.fullmatch(r"(\w*?)L(\d+)Forward", name).groups()
    return PRODUCT_LAYERS[prefix][int(layer) - 1][2]


def product_cases(rng):
    """Yields (name, flops, numpy fn, torch fn) for every product.

    A batch-1 product takes its sample as a vector, as one serves a
    single input.
    """
    for name, m, k, n, kind in PRODUCTS:
        flops = 2 * m * k * n
        if kind == "forward":
            act = forward_activation(name)
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
    """The network of layers (LAYERS, 784-256-128-10, unless given) as the
    classic numpy MLP: relu on every layer but the last, whose softmax is
    left to the prediction and the loss; w is in×out, biases are vectors,
    params holds each layer's w then b, and the backward pass is written
    out by hand."""

    def __init__(self, rng, layers=LAYERS):
        for _, _, act in layers[:-1]:
            if act != "relu":
                raise ValueError("NumpyMLP: a hidden layer's activation is %s, not relu" % act)
        self.layers = layers
        self.params = []
        for fan_in, fan_out, _ in layers:
            self.params += [he(rng, fan_in, fan_out), np.zeros(fan_out, np.float32)]

    def logits(self, x):
        """The last layer's pre-activation for x, a vector or rows."""
        ws, bs = self.params[0::2], self.params[1::2]
        h = x
        for w, b in zip(ws[:-1], bs[:-1]):
            h = h @ w
            h += b
            np.maximum(h, 0, out=h)
        z = h @ ws[-1]
        z += bs[-1]
        return z

    def predict_one(self, x):
        z = self.logits(x)
        z -= z.max()
        np.exp(z, out=z)
        z /= z.sum()
        return z

    def predict(self, x):
        """The forward pass of the rows of the matrix x, softmax per row."""
        return np_act(self.logits(x), "softmax")

    def train_step(self, x, y, lr):
        """One SGD step on samples x with one-hot targets y; returns the
        mean cross-entropy."""
        ws, bs = self.params[0::2], self.params[1::2]
        n = x.shape[0]
        a = [x]  # each layer's input
        for w, b in zip(ws[:-1], bs[:-1]):
            a.append(np.maximum(a[-1] @ w + b, 0))
        z = a[-1] @ ws[-1] + bs[-1]
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.log((p * y).sum(axis=1)).mean()
        # From the last layer back: its dz gives its dw and db and, but for
        # the first layer, the dz of the layer before.
        dz = (p - y) / n
        grads = []
        for i in reversed(range(len(ws))):
            grads[:0] = [a[i].T @ dz, dz.sum(axis=0)]
            if i > 0:
                dz = (dz @ ws[i].T) * (a[i] > 0)
        for p_, g in zip(self.params, grads):
            p_ -= lr * g
        return loss


def torch_model(mlp=None, softmax=False):
    """mlp's layers (else LAYERS, 784-256-128-10) as an nn.Sequential, with
    mlp's weights if given."""
    mods = []
    for fan_in, fan_out, act in mlp.layers if mlp is not None else LAYERS:
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


class NoQuantizedEngine(Exception):
    """PyTorch supports none of QENGINES."""


def quantized_engine():
    """Sets PyTorch's quantized engine to the first of QENGINES it supports
    and returns its name."""
    supported = [e for e in torch.backends.quantized.supported_engines if e != "none"]
    for engine in QENGINES:
        if engine in supported:
            torch.backends.quantized.engine = engine
            return engine
    raise NoQuantizedEngine("PyTorch %s has none of the quantized engines %s that the Int8 cases need (it has %s)"
                            % (torch.__version__, ", ".join(QENGINES), ", ".join(supported) or "none"))


def quantized_model(mlp):
    """mlp's serving model, softmax included, with PyTorch's dynamic
    quantization on quantized_engine(): each nn.Linear becomes one of qint8
    weights (one scale per tensor) that quantizes each call's input to
    uint8 and returns float32."""
    quantized_engine()
    return torch.ao.quantization.quantize_dynamic(torch_model(mlp, softmax=True), {torch.nn.Linear}, dtype=torch.qint8)


def samples(rng, n, layers=LAYERS):
    """n inputs of the network of layers from a standard normal and their
    one-hot targets, as nn's benchmarks draw them; also the targets as class
    indices."""
    x = rng.standard_normal((n, layers[0][0])).astype(np.float32)
    labels = rng.integers(0, layers[-1][1], n)
    y = np.zeros((n, layers[-1][1]), np.float32)
    y[np.arange(n), labels] = 1
    return x, y, labels


LR = 1e-3

# The SGD step cases: the nn benchmark each pairs with, the network's
# layers and the samples of a step.
TRAIN_STEPS = [
    ("BenchmarkTrainStep/sgd/samples=64/procs=1", LAYERS, 64),
    ("BenchmarkTrainStep/sgd/samples=256/procs=1", LAYERS, 256),
    ("BenchmarkTrainStepWide/sgd/samples=128/procs=1", WIDE_LAYERS, 128),
]


def network_cases(rng, int8):
    """Yields (name, metric, numpy fn, torch fn) for the whole-network cases,
    with the INT8_PREDICTS cases if int8 (those have no numpy fn, None).
    metric is None or (unit, amount per call)."""
    mlp = NumpyMLP(rng)
    serving = torch_model(mlp, softmax=True)
    x1 = samples(rng, 1)[0][0]
    tx1 = torch.from_numpy(x1)

    def torch_predict_one():
        with torch.no_grad():
            return serving(tx1)

    yield "BenchmarkPredictOne", None, lambda: mlp.predict_one(x1), torch_predict_one
    rows = {}
    for n in PREDICT_ROWS:
        x = rows[n] = samples(rng, n)[0]
        tx = torch.from_numpy(x)

        def torch_predict(tx=tx):
            with torch.no_grad():
                return serving(tx)

        yield "BenchmarkPredictRows/rows=%d" % n, None, lambda x=x: mlp.predict(x), torch_predict
    if int8:
        quantized = quantized_model(mlp)
        for name, n in INT8_PREDICTS:
            # The rows of PredictRows: quantized Linear takes no vector.
            tx = torch.from_numpy(rows[n])

            def torch_int8(tx=tx):
                with torch.no_grad():
                    return quantized(tx)

            yield name, None, None, torch_int8
    for name, layers, n in TRAIN_STEPS:
        x, y, labels = samples(rng, n, layers)
        net = NumpyMLP(rng, layers)
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

        yield name, ("samples/s", n), lambda net=net, x=x, y=y: net.train_step(x, y, LR), torch_step


# Where Debian's dataset-fashion-mnist installs the IDX files.
FASHION = "/usr/share/datasets/fashion-mnist"

# The epoch cases: the batch (spec/fashion.yaml's), Adam's learning rate,
# the thread counts, paired with nn's Fit on as many workers, and the steps
# of the warm-up before the runs of each thread count.
EPOCH_BATCH = 64
EPOCH_LR = 1e-3
EPOCH_THREADS = (1, 2)
EPOCH_WARMUP = 50


def read_idx(path):
    """The array of unsigned bytes in the IDX file at path, gzipped or not:
    magic 0, 0, 0x08 and the number of dimensions, each dimension as a
    big-endian uint32, then the values."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08 or data[3] == 0:
        raise ValueError("%s: not an IDX file of unsigned bytes (magic %s)" % (path, data[:4].hex(" ")))
    ndim = data[3]
    start = 4 + 4 * ndim
    if len(data) < start:
        raise ValueError("%s: the IDX header ends early" % path)
    dims = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    if len(data) - start != int(np.prod(dims)):
        raise ValueError("%s: %d values for dimensions %s" % (path, len(data) - start, dims))
    return np.frombuffer(data, np.uint8, offset=start).reshape(dims)


def fashion_mnist(directory):
    """Fashion-MNIST's training images and labels in directory, read as
    dataset.FashionMNIST reads them (NAME.gz, else NAME): one float32 row of
    784 pixels per image, each pixel divided by 255 in float32, and the
    labels as int64 class numbers."""
    def find(name):
        for p in (name + ".gz", name):
            path = os.path.join(directory, p)
            if os.path.exists(path):
                return path
        raise FileNotFoundError("Fashion-MNIST not found: %s has no %s(.gz); install it with "
                                "`apt-get install dataset-fashion-mnist` or pass its directory with -fashion"
                                % (directory, name))
    images = read_idx(find("train-images-idx3-ubyte"))
    labels = read_idx(find("train-labels-idx1-ubyte"))
    if images.ndim < 2 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError("%s: images %s and labels %s do not pair up" % (directory, images.shape, labels.shape))
    x = images.reshape(images.shape[0], -1).astype(np.float32)
    x /= np.float32(255)
    return x, labels.astype(np.int64)


@contextlib.contextmanager
def threads(n):
    """Runs PyTorch's own thread pool on n threads, then puts it back to
    one. The BLAS stays on one thread: torch.set_num_threads does not reach
    Debian's OpenBLAS, and giving OpenBLAS a second thread too made the
    epoch slower, not faster (see PERFORMANCE.md)."""
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(1)


def torch_epochs(x, labels):
    """Returns a function that trains a fresh 784-256-128-10 (PyTorch's
    own initialization, seed 1) for a number of epochs of x and labels in
    the usual loop: each epoch a fresh torch.randperm, then for each batch
    of EPOCH_BATCH indices (the last one shorter) the rows taken from the
    in-memory tensors, zero_grad, forward, CrossEntropyLoss, backward and an
    Adam step. It returns the last step's loss."""
    tx, ty = torch.from_numpy(x), torch.from_numpy(labels)

    def train(epochs):
        torch.manual_seed(1)
        model = torch_model()
        loss_fn = torch.nn.CrossEntropyLoss()
        opt = torch.optim.Adam(model.parameters(), lr=EPOCH_LR)
        for _ in range(epochs):
            order = torch.randperm(len(tx))
            for lo in range(0, len(tx), EPOCH_BATCH):
                idx = order[lo:lo + EPOCH_BATCH]
                xb, yb = tx[idx], ty[idx]
                opt.zero_grad()
                loss = loss_fn(model(xb), yb)
                loss.backward()
                opt.step()
        return loss

    return train


def run_epochs(args, selected):
    """Times the epoch cases selected(name) accepts, as go test times
    BenchmarkFitEpoch with -benchtime Nx: on each thread count, a warm-up
    of EPOCH_WARMUP steps, then args.count runs, each of N epochs
    (-benchtime Nx; one with a -benchtime in seconds) of a fresh model."""
    cases = [("BenchmarkFitEpoch/workers=%d/torch" % n, n) for n in EPOCH_THREADS]
    cases = [(name, n) for name, n in cases if selected(name)]
    if not cases:
        return
    try:
        x, labels = fashion_mnist(args.fashion)
    except FileNotFoundError as e:
        print("peers.py: skipping the epoch cases:", e, file=sys.stderr)
        return
    epochs = parse_benchtime(args.benchtime)[1] or 1
    train = torch_epochs(x, labels)
    warmup = torch_epochs(x[:EPOCH_WARMUP * EPOCH_BATCH], labels[:EPOCH_WARMUP * EPOCH_BATCH])
    for name, n in cases:
        with threads(n):
            warmup(1)
            for _ in range(args.count):
                gc.disable()
                t0 = time.perf_counter_ns()
                train(epochs)
                ns = time.perf_counter_ns() - t0
                gc.enable()
                report(name, epochs, ns, ("samples/s", len(x)))


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
    skip = re.compile(args.skip) if args.skip else None

    def selected(name):
        return pattern.search(name) and not (skip and skip.search(name))

    rng = np.random.default_rng(1)
    cases = []
    for name, flops, np_fn, torch_fn in product_cases(rng):
        base, _, bare = name.partition("/")
        for lib, fn in (("numpy", np_fn), ("torch", torch_fn)):
            full = "BenchmarkProduct/%s/%s%s" % (base, lib, "-" + bare if bare else "")
            cases.append((full, ("GFLOP/s", flops), fn))
    int8 = any(selected(name + "/torch") for name, _ in INT8_PREDICTS)
    if int8:
        print("qengine:", quantized_engine(), flush=True)
    for name, metric, np_fn, torch_fn in network_cases(rng, int8):
        for lib, fn in (("numpy", np_fn), ("torch", torch_fn)):
            if fn is not None:
                cases.append((name + "/" + lib, metric, fn))
    for name, metric, fn in cases:
        if not selected(name):
            continue
        fn()
        n = fixed or iterations(fn, seconds)
        for _ in range(args.count):
            gc.disable()
            ns = timed(fn, n)
            gc.enable()
            report(name, n, ns, metric)
    run_epochs(args, selected)


def check(fashion):
    """Fails unless numpy and PyTorch compute the same thing in every case,
    in float32, on one thread, and the epoch cases read IDX files as
    package dataset does and train on the threads they name."""
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
    serving = torch_model(mlp, softmax=True)
    for n in PREDICT_ROWS:
        rows = samples(rng, n)[0]
        got = mlp.predict(rows)
        with torch.no_grad():
            want = serving(torch.from_numpy(rows)).numpy()
        expect(got.dtype == np.float32 and got.shape == want.shape == (n, LAYERS[-1][1])
               and np.allclose(got, want, rtol=1e-4, atol=1e-6), "PredictRows, %d rows: numpy and torch differ" % n)
        expect(np.allclose(got[0], mlp.predict_one(rows[0]), rtol=1e-5, atol=1e-7),
               "PredictRows, %d rows: the first row differs from PredictOne's" % n)
    check_train_step(expect, "train step", mlp, x, y, labels)
    wide = NumpyMLP(rng, WIDE_LAYERS)
    check_train_step(expect, "wide train step", wide, *samples(rng, 128, WIDE_LAYERS))
    check_int8(expect, mlp, rng)
    check_epoch(expect, fashion)
    expect(torch.get_num_threads() == 1, "torch runs %d threads" % torch.get_num_threads())
    if threadpoolctl is not None:
        for i in threadpoolctl.threadpool_info():
            expect(i["num_threads"] == 1, "%s runs %d threads" % (i["filepath"], i["num_threads"]))
    for f in failures:
        print("FAIL:", f)
    print("FAIL" if failures else "ok")
    return not failures


def check_int8(expect, mlp, rng):
    """check's part for the int8 cases: quantized_model replaces every
    nn.Linear of mlp's serving model by a dynamic quantized Linear of qint8
    weights, and on each row count of INT8_PREDICTS its softmax outputs are
    float32 and within INT8_ATOL of numpy's."""
    try:
        quantized = quantized_model(mlp)
    except NoQuantizedEngine as e:
        expect(False, "Int8: %s" % e)
        return
    linears = [m for m in quantized if isinstance(m, torch.nn.Linear)]
    dynamic = [m for m in quantized if isinstance(m, torch.ao.nn.quantized.dynamic.Linear)]
    expect(not linears and len(dynamic) == len(mlp.layers), "Int8: %d float Linear and %d dynamic quantized Linear layers"
           % (len(linears), len(dynamic)))
    expect(all(m.weight().dtype == torch.qint8 for m in dynamic), "Int8: weights of %s"
           % [m.weight().dtype for m in dynamic])
    for name, n in INT8_PREDICTS:
        rows = samples(rng, n)[0]
        want = mlp.predict(rows)
        with torch.no_grad():
            got = quantized(torch.from_numpy(rows)).numpy()
        expect(got.dtype == np.float32 and got.shape == want.shape and np.allclose(got, want, rtol=0, atol=INT8_ATOL),
               "%s: torch's int8 outputs (%s, %s) are up to %g from numpy's float32 ones, more than %g"
               % (name, got.dtype, got.shape, np.abs(got - want).max() if got.shape == want.shape else np.inf, INT8_ATOL))


def check_train_step(expect, what, mlp, x, y, labels):
    """check's part for an SGD step of mlp on samples x (y one-hot, labels
    the class indices): the step of its twin in PyTorch gives the same loss
    and parameters."""
    model = torch_model(mlp)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    opt.zero_grad()
    tloss = torch.nn.CrossEntropyLoss()(model(torch.from_numpy(x)), torch.from_numpy(labels))
    tloss.backward()
    opt.step()
    loss = mlp.train_step(x, y, 0.1)
    expect(abs(loss - tloss.item()) < 1e-4, "%s: loss %g, torch %g" % (what, loss, tloss.item()))
    for i, p in enumerate(model.parameters()):
        want = p.detach().numpy()
        got = mlp.params[i].T if want.ndim == 2 else mlp.params[i]
        expect(got.dtype == np.float32, "%s: parameter %d is %s" % (what, i, got.dtype))
        expect(np.allclose(got, want, rtol=1e-4, atol=1e-5), "%s: parameter %d differs from torch's" % (what, i))


def write_idx(path, values, compress):
    """Writes values (uint8) to path as an IDX file, gzipped if compress."""
    data = bytes([0, 0, 0x08, values.ndim]) + b"".join(d.to_bytes(4, "big") for d in values.shape) + values.tobytes()
    with open(path, "wb") as f:
        f.write(gzip.compress(data) if compress else data)


def check_epoch(expect, fashion):
    """The epoch cases' part of check: fashion_mnist on small IDX files
    (and on the real ones in the directory fashion, when there), the
    thread counts, and the loop on a few samples, which gives a fresh
    model the same loss each time."""
    images = np.arange(3 * 2 * 2, dtype=np.uint8).reshape(3, 2, 2) * 20
    with tempfile.TemporaryDirectory() as d:
        write_idx(os.path.join(d, "train-images-idx3-ubyte.gz"), images, True)
        write_idx(os.path.join(d, "train-labels-idx1-ubyte"), np.array([2, 0, 1], np.uint8), False)
        x, labels = fashion_mnist(d)
        want = images.reshape(3, 4).astype(np.float32) / np.float32(255)
        expect(x.dtype == np.float32 and np.array_equal(x, want), "fashion_mnist: pixels %s, want %s" % (x, want))
        expect(labels.dtype == np.int64 and labels.tolist() == [2, 0, 1], "fashion_mnist: labels %s" % labels)
        write_idx(os.path.join(d, "train-labels-idx1-ubyte"), np.array([2, 0], np.uint8), False)
        try:
            fashion_mnist(d)
            expect(False, "fashion_mnist: 3 images with 2 labels read without an error")
        except ValueError as e:
            expect("do not pair up" in str(e), "fashion_mnist: 3 images with 2 labels: %s" % e)
    if os.path.isdir(fashion):
        x, labels = fashion_mnist(fashion)
        expect(x.shape == (60000, 784) and x.min() == 0 and x.max() == 1, "Fashion-MNIST: %s, pixels from %g to %g"
               % (x.shape, x.min(), x.max()))
        expect(sorted(set(labels.tolist())) == list(range(10)), "Fashion-MNIST: labels %s" % sorted(set(labels.tolist())))
    for n in EPOCH_THREADS:
        with threads(n):
            expect(torch.get_num_threads() == n, "threads(%d): torch runs %d threads" % (n, torch.get_num_threads()))
            if threadpoolctl is not None:
                for i in threadpoolctl.threadpool_info():
                    expect(i["user_api"] != "blas" or i["num_threads"] == 1,
                           "threads(%d): %s runs %d threads" % (n, i["filepath"], i["num_threads"]))
    rng = np.random.default_rng(3)
    x, _, labels = samples(rng, 2 * EPOCH_BATCH + 3)
    train = torch_epochs(x, labels)
    first, again = train(2).item(), train(2).item()
    expect(np.isfinite(first) and first == again, "epochs: a fresh model's loss %g, then %g" % (first, again))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-count", type=int, default=1, help="runs of each case")
    ap.add_argument("-benchtime", default="1s", help="time of each run (200ms), or calls (100x)")
    ap.add_argument("-bench", default=".", help="run only the cases whose name matches")
    ap.add_argument("-skip", default="", help="leave out the cases whose name matches")
    ap.add_argument("-fashion", default=FASHION, help="directory of the Fashion-MNIST IDX files")
    ap.add_argument("-check", action="store_true", help="compare numpy with torch and exit")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    blas = blas_info()
    if args.check:
        sys.exit(0 if check(args.fashion) else 1)
    print("blas:", blas)
    print("numpy:", np.__version__)
    print("torch:", torch.__version__)
    try:
        run(args)
    except NoQuantizedEngine as e:
        sys.exit("peers.py: %s" % e)


if __name__ == "__main__":
    main()
