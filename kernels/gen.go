// Package kernels holds the generated kernels of the models in ../spec:
// Fashion, its batch-1 twin Fashion1, Logistic, Seed, Digits and Scorer.
// Every other file here is generated; run go generate ./... after changing
// a spec or the generator.
package kernels

//go:generate go run ../cmd/vecgen -spec ../spec/fashion.yaml
//go:generate go run ../cmd/vecgen -spec ../spec/fashion1.yaml
//go:generate go run ../cmd/vecgen -spec ../spec/logistic.yaml
//go:generate go run ../cmd/vecgen -spec ../spec/seed.yaml
//go:generate go run ../cmd/vecgen -spec ../spec/digits.yaml
//go:generate go run ../cmd/vecgen -spec ../spec/scorer.yaml
