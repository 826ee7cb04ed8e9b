# vecgen: make deps once, then make test. See README.md.
GO ?= go
QEMU ?= qemu-x86_64
PKG_NATIVE := ./...
BENCH_COUNT ?= 10

.PHONY: all deps generate test test-native test-noavx2 test-purego test-arm64 test-haswell test-fuzz bench vet

all: generate test

# Installs what the tests need beyond Go: qemu-user, to run the kernels as
# an AVX2-only CPU (Haswell has no AVX-512). Debian or Ubuntu; needs root.
deps:
	@command -v $(QEMU) >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq qemu-user; }
	$(GO) mod download

# Regenerates kernels/ from spec/*.yaml.
generate:
	$(GO) generate ./...

# The test command: every CPU path. TestKernelsUpToDate (in ./gen) fails if
# the committed kernels differ from what the generator makes now.
test: vet test-fuzz test-native test-noavx2 test-purego test-arm64 test-haswell

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$unformatted" ]; then echo "not gofmt'd: $$unformatted"; exit 1; fi
	$(GO) vet ./...

test-native:
	$(GO) test -count=1 ./...

# The scalar fallback as an AVX2-less CPU takes it.
test-noavx2:
	GODEBUG=cpu.avx2=off $(GO) test -count=1 ./...

# Builds without assembly.
test-purego:
	$(GO) test -count=1 -tags purego ./...

test-arm64:
	GOARCH=arm64 $(GO) vet ./...

# The assembly on an emulated AVX2-only CPU: a stray AVX-512 (EVEX)
# encoding dies here with SIGILL.
test-haswell:
	@command -v $(QEMU) >/dev/null 2>&1 || { echo "$(QEMU) not found: run make deps"; exit 1; }
	$(GO) test -count=1 -exec '$(QEMU) -cpu Haswell' ./kernels/ ./examples/...

# Bounded fuzzing of the spec loader: any bytes give a model or a
# positioned error, never a panic or a hang. Minimization is capped so a
# new interesting input cannot stall the run.
FUZZ_TIME ?= 30s
test-fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZ_TIME) -fuzzminimizetime 3s ./spec/

# Every kernel's benchmark, GFLOP/s and % of peak for the products.
bench:
	$(GO) test -run '^$$' -bench . -count $(BENCH_COUNT) ./kernels/ | tee bench.txt
