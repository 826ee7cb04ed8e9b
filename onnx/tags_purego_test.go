//go:build purego

package onnx_test

const buildTags = "purego"
