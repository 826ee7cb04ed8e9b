//go:build !purego

package onnx_test

// buildTags are the tags the scratch module is built with: this test's.
const buildTags = ""
