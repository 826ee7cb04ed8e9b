# vecgen: make deps once, then make test. See README.md.
GO ?= go
QEMU ?= qemu-x86_64
QEMU_ARM64 ?= qemu-aarch64
LLVM_MCA ?= llvm-mca-19
PKG_NATIVE := ./...
BENCH_COUNT ?= 10

PYTHON ?= /usr/bin/python3
FASHION ?= /usr/share/datasets/fashion-mnist

# A recipe fails when any command of a pipe fails, not only the last: make
# bench pipes each benchmark into tee, and a peer that cannot run (make deps
# not run yet) must stop it before PERFORMANCE.md is rewritten.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c

.PHONY: all deps demo generate test test-native test-race test-avx2 test-noavx2 test-purego test-arm64 test-haswell test-fuzz bench vet

all: generate test

# Installs what the tests and examples need beyond Go, from Debian or
# Ubuntu (needs root): qemu-user, to run the kernels as an AVX2-only CPU
# (Haswell has no AVX-512) and the NEON tier as arm64 binaries;
# binutils-aarch64-linux-gnu, whose GNU as checks the NEON encodings and
# whose objdump disassembles the arm64 loops llvm-19's llvm-mca predicts
# for make bench; python3-torch, to check weights against PyTorch;
# python3-onnx, whose onnx.checker checks the ONNX models nn exports;
# python3-numpy, python3-threadpoolctl and OpenBLAS (Debian's libblas.so.3
# is otherwise the reference BLAS), for the peers make bench times;
# dataset-fashion-mnist, for examples/fashion. The probes run Python
# isolated (-I): otherwise the current directory is on sys.path and
# "import onnx" finds this repository's onnx/ directory instead of the
# package. go mod download all also fetches the modules that only tests of
# dependencies import (go mod tidy in a user's module wants them, and
# TestReadmeSetUp runs it without a proxy); it runs on a copy of go.mod so
# that their checksums stay out of this module's tidy go.sum.
deps:
	@missing=""; \
	command -v $(QEMU) >/dev/null 2>&1 || missing="$$missing qemu-user"; \
	command -v $(QEMU_ARM64) >/dev/null 2>&1 || missing="$$missing qemu-user"; \
	command -v aarch64-linux-gnu-as >/dev/null 2>&1 || missing="$$missing binutils-aarch64-linux-gnu"; \
	command -v $(LLVM_MCA) >/dev/null 2>&1 || missing="$$missing llvm-19"; \
	$(PYTHON) -I -c 'import torch' >/dev/null 2>&1 || missing="$$missing python3-torch"; \
	$(PYTHON) -I -c 'import onnx' >/dev/null 2>&1 || missing="$$missing python3-onnx"; \
	$(PYTHON) -I -c 'import numpy' >/dev/null 2>&1 || missing="$$missing python3-numpy"; \
	$(PYTHON) -I -c 'import threadpoolctl' >/dev/null 2>&1 || missing="$$missing python3-threadpoolctl"; \
	$(PYTHON) -I -c 'import sys, numpy, threadpoolctl; sys.exit(all(i["internal_api"] != "openblas" for i in threadpoolctl.threadpool_info()))' \
		>/dev/null 2>&1 || missing="$$missing libopenblas0-pthread"; \
	[ -d $(FASHION) ] || missing="$$missing dataset-fashion-mnist"; \
	if [ -n "$$missing" ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
	tmp=$$(mktemp -d) && cp go.mod go.sum $$tmp/ && $(GO) mod download -modfile=$$tmp/go.mod all && rm -r $$tmp

# Regenerates the kernels and trains spec/digits.yaml on the embedded UCI
# digits set: the whole pipeline in a few seconds.
demo: generate
	$(GO) run ./examples/digits

# Regenerates kernels/ from spec/*.yaml.
generate:
	$(GO) generate ./...

# The test command: every CPU path. TestKernelsUpToDate (in ./gen) fails if
# the committed kernels differ from what the generator makes now.
test: vet test-fuzz test-native test-race test-avx2 test-noavx2 test-purego test-arm64 test-haswell

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$unformatted" ]; then echo "not gofmt'd: $$unformatted"; exit 1; fi
	$(GO) vet ./...

# VECGEN_REQUIRE_TORCH makes the PyTorch round trip fail rather than skip
# when python3-torch is missing.
test-native:
	VECGEN_REQUIRE_TORCH=1 VECGEN_REQUIRE_QEMU=1 VECGEN_REQUIRE_ARM64_TOOLS=1 VECGEN_PYTHON=$(PYTHON) $(GO) test -count=1 ./...

# Concurrent Predict calls and parallel training under the race detector.
test-race:
	$(GO) test -count=1 -race ./nn/

# The AVX2 tier as dispatch picks it on a CPU without AVX-512 (the native
# run already tests every tier explicitly; this one tests the choice).
test-avx2:
	GODEBUG=cpu.avx512f=off $(GO) test -count=1 ./...

# The scalar fallback as an AVX2-less CPU takes it.
test-noavx2:
	GODEBUG=cpu.avx2=off $(GO) test -count=1 ./...

# Builds without assembly.
test-purego:
	$(GO) test -count=1 -tags purego ./...

# The NEON tier: vet (with its assembly check) and a build for linux/arm64
# and darwin/arm64, then the tests of the kernels, vec, the math kernels,
# nn and the examples as arm64 binaries under qemu-aarch64 (user mode),
# and gen's generated packages (the shape matrix, blocked products,
# panels, split depths and the NEON mutants) the same way: every
# generated test runs its NEON subtest and the reference. Times under
# qemu say nothing of an arm64 CPU's; emulated, the kernels' tests take
# about 8 minutes (spec/wide.yaml's most of it), near go test's default
# limit of 10, so the emulated runs have 30.
test-arm64:
	@command -v $(QEMU_ARM64) >/dev/null 2>&1 || { echo "$(QEMU_ARM64) not found: run make deps"; exit 1; }
	GOARCH=arm64 $(GO) vet ./...
	GOOS=darwin GOARCH=arm64 $(GO) vet ./kernels/ ./internal/... ./nn/...
	GOOS=darwin GOARCH=arm64 $(GO) build ./...
	GOARCH=arm64 $(GO) test -count=1 -timeout 30m -exec $(QEMU_ARM64) ./kernels/ ./kerneltest/ ./internal/vec/ ./internal/mathkernels/ ./nn/... ./examples/...
	VECGEN_TEST_ARCH=arm64 $(GO) test -count=1 ./gen/

# The assembly on an emulated AVX2-only CPU: a stray AVX-512 (EVEX)
# encoding dies here with SIGILL.
test-haswell:
	@command -v $(QEMU) >/dev/null 2>&1 || { echo "$(QEMU) not found: run make deps"; exit 1; }
	$(GO) test -count=1 -timeout 30m -exec '$(QEMU) -cpu Haswell' ./kernels/ ./internal/vec/ ./nn/ ./examples/...

# Bounded fuzzing of every loader: the spec (any bytes give a model or a
# positioned error, never a panic, within a time and memory budget linear
# in their size), the weights, IDX and CSV files (an error, never a panic,
# never more allocation than a budget per input byte), the int8 weights;
# of two forward kernels against their reference (softmax and gelu, with
# fuzzed special values) and of two models' int8 kernels (Fashion's and
# Scorer's, which flushes subnormals). Each runs a fixed number of inputs (about 15 s each here), not a
# fixed time: Go 1.26's fuzz coordinator can report a spurious "context
# deadline exceeded" when a -fuzztime duration expires mid-input
# (go.dev/issue/75804, fixed in Go 1.27), and a count has no deadline.
# Minimization is capped so a new interesting input cannot stall the run.
FUZZ_SCALE ?= 1
fuzz = $(GO) test -run '^$$' -fuzz '^$(1)$$' -fuzztime $$(( $(2) * $(FUZZ_SCALE) ))x -fuzzminimizetime 3s $(3)
test-fuzz:
	$(call fuzz,FuzzParse,150000,./spec/)
	$(call fuzz,FuzzDecode,150000,./nn/)
	$(call fuzz,FuzzDecodeCheckpoint,50000,./nn/)
	$(call fuzz,FuzzDecodeQuantized,50000,./nn/)
	$(call fuzz,FuzzReadIDX,150000,./dataset/)
	$(call fuzz,FuzzReadCSV,150000,./dataset/)
	$(call fuzz,FuzzImport,50000,./onnx/)
	$(call fuzz,FuzzFashionL3Forward,15000,./kernels/)
	$(call fuzz,FuzzScorerL1Forward,8000,./kernels/)
	$(call fuzz,FuzzFashionInt8,1500,./kernels/)
	$(call fuzz,FuzzScorerInt8,20000,./kernels/)

# The comparison with Go peers (spec/wide.yaml's products, too large for
# them, by vecgen alone) and the machine's FMA ceilings (ymm and zmm) in the
# same run, nn's training steps (spec/fashion.yaml's and spec/wide.yaml's)
# and prediction, and every kernel's benchmark (not in the tables: half as
# many runs, which keeps make bench near 10 minutes on two cores); then
# llvm-mca's prediction of each product's inner loop on the NEON tier
# (Neoverse N1 and V1, Apple M1) and the x86 tiers (the model of this
# machine's core), by
# internal/mcapredict; then vecgen's products, SGD steps on
# one core and batch-1 prediction again on the AVX2 tier
# (GODEBUG=cpu.avx512f=off), their names suffixed /avx2; then numpy and
# PyTorch on one thread (internal/compare/peers.py), with OpenBLAS left to
# pick its own core; then one Fashion-MNIST epoch through nn's Fit (1 and 2
# workers) and through PyTorch's usual loop (1 and 2 threads); then the
# tables of PERFORMANCE.md are regenerated from this run's medians.
#
# The Go benchmarks and the epochs run in rounds: each round times every
# benchmark once (-count 1), and the rounds repeat. The tables divide one
# benchmark's median by another's, and a shared machine's speed drifts by
# 10–30% over minutes; with -count N a benchmark's N runs come one after
# the other, and a slow spell lands on one side of a ratio only. In rounds,
# the ratios within a round (a step on two cores or more workers against
# one, a product against the FMA ceiling, Fit's epoch against PyTorch's)
# compare runs seconds apart. The others (the AVX2 tier and the numpy and
# PyTorch products, which run after, and Fit's epoch against the step
# timed in the first rounds) still compare runs minutes apart.
BENCH_TIME ?= 200ms
KERNEL_BENCH_COUNT ?= $(shell expr \( $(BENCH_COUNT) + 1 \) / 2)
bench_flags = -run '^$$' -benchtime $(BENCH_TIME) -count 1
# The epochs run EPOCH_COUNT rounds, each two epochs of a fresh network per
# benchmark (an epoch takes 0.3 to 2.5 s here): about a minute for all.
EPOCH_COUNT ?= 3
epoch_flags = -benchtime 2x -count 1
peers = env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(PYTHON) internal/compare/peers.py -fashion $(FASHION)
# $(call rounds,N,COMMAND) runs COMMAND N times, stopping at a failure.
rounds = for round in $$(seq $(1)); do $(2) || exit 1; done
# $(call avx2_bench,PATTERN,PACKAGE) appends the benchmarks of PACKAGE
# that match PATTERN (a leaf benchmark runs only if PATTERN has no more
# levels than its name) on the AVX2 tier, with /avx2 appended to each
# result's name before go test's -N suffix.
avx2_bench = $(call rounds,$(BENCH_COUNT),GODEBUG=cpu.avx512f=off $(GO) test $(bench_flags) -bench '$(1)' $(2)) \
	| sed -E -e 's|^(Benchmark[^[:space:]]*)(-[0-9]+[[:space:]])|\1/avx2\2|;t' -e 's|^(Benchmark[^[:space:]]*)([[:space:]])|\1/avx2\2|' \
	| tee -a bench.txt
bench:
	$(call rounds,$(BENCH_COUNT),$(GO) test $(bench_flags) -bench . -skip '^BenchmarkFitEpoch$$' ./internal/compare/ ./nn/) | tee bench.txt
	$(call rounds,$(KERNEL_BENCH_COUNT),$(GO) test $(bench_flags) -bench . ./kernels/) | tee -a bench.txt
	$(GO) run ./internal/mcapredict -mca $(LLVM_MCA) | tee -a bench.txt
	$(GO) run ./internal/mcapredict -mca $(LLVM_MCA) -spec spec/testdata/fashion1.yaml -label B1 | tee -a bench.txt
	$(call avx2_bench,^BenchmarkProduct$$/./^vecgen$$,./internal/compare/)
	$(call avx2_bench,^BenchmarkTrainStep$$/^sgd$$/^samples=(64|256)$$/^procs=1$$,./nn/)
	$(call avx2_bench,^BenchmarkPredictOne$$,./nn/)
	$(peers) -count $(BENCH_COUNT) -benchtime $(BENCH_TIME) -skip '^BenchmarkFitEpoch/' | tee -a bench.txt
	$(call rounds,$(EPOCH_COUNT),$(GO) test -run '^$$' -bench '^BenchmarkFitEpoch$$' $(epoch_flags) ./nn/ && $(peers) -bench '^BenchmarkFitEpoch/' $(epoch_flags)) | tee -a bench.txt
	$(GO) run ./internal/benchreport -update PERFORMANCE.md < bench.txt
