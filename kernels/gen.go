// Package kernels holds the generated kernels of the models in ../spec:
// Fashion, Logistic, Seed, Digits, Scorer and Wide; and Fashion1, Fashion
// at batch 1 (../spec/testdata/fashion1.yaml), a test of an explicit
// batch-1 model. Every other file here is generated; run go generate ./... after
// changing a spec or the generator.
package kernels

//go:generate go run ../cmd/vecgen -spec ../spec/fashion.yaml
//go:generate go run ../cmd/vecgen -spec ../spec/testdata/fashion1.yaml
//go:generate go run ../cmd/vecgen -spec ../spec/logistic.yaml
//go:generate go run ../cmd/vecgen -spec ../spec/seed.yaml
//go:generate go run ../cmd/vecgen -spec ../spec/digits.yaml
//go:generate go run ../cmd/vecgen -spec ../spec/scorer.yaml
//go:generate go run ../cmd/vecgen -spec ../spec/wide.yaml
