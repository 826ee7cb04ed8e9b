package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/gen/plan"
)

// A function with an outer loop around an inner one, and a shorter loop
// after them: the inner loop with the most FMAs is the one predicted.
const arm64Disassembly = `
0000000000001000 <github.com/vecgen/vecgen/kernels.fooNEON.abi0>:
    1000:	mov	x0, #0x4
    1004:	fmla	v0.4s, v1.4s, v2.s[0]
    1008:	fmla	v3.4s, v1.4s, v2.s[1]
    100c:	fmla	v4.4s, v1.4s, v2.s[2]
    1010:	subs	x1, x1, #0x1
    1014:	b.ne	1004 <github.com/vecgen/vecgen/kernels.fooNEON.abi0+0x4>  // b.any
    1018:	subs	x0, x0, #0x1
    101c:	b.ne	1004 <github.com/vecgen/vecgen/kernels.fooNEON.abi0+0x4>  // b.any
    1020:	fmla	v0.4s, v1.4s, v2.s[0]
    1024:	subs	x1, x1, #0x1
    1028:	b.ne	1020 <github.com/vecgen/vecgen/kernels.fooNEON.abi0+0x20>  // b.any
    102c:	ret

0000000000002000 <github.com/vecgen/vecgen/kernels.barNEON.abi0>:
    2000:	ret
`

const x86Disassembly = `
00000000006b2fa0 <github.com/vecgen/vecgen/kernels.fooAVX512.abi0>:
  6b2fa0:	mov    0x8(%rsp),%rax
  6b2fa5:	vfmadd231ps (%rax){1to16},%zmm1,%zmm2
  6b2fab:	vfmadd231ps 0x4(%rax){1to16},%zmm1,%zmm3
  6b2fb1:	add    $0x10,%rax
  6b2fb5:	dec    %rcx
  6b2fb8:	jne    6b2fa5 <github.com/vecgen/vecgen/kernels.fooAVX512.abi0+0x5>
  6b2fbe:	ret
`

func TestHottestLoop(t *testing.T) {
	funcs := functions(arm64Disassembly)
	require.Contains(t, funcs, "fooNEON")
	require.Contains(t, funcs, "barNEON")
	l := hottestLoop(funcs["fooNEON"], "arm64")
	require.NotNil(t, l)
	assert.Equal(t, 3, l.fmas)
	assert.Equal(t, "loop:\n\tfmla v0.4s, v1.4s, v2.s[0]\n\tfmla v3.4s, v1.4s, v2.s[1]\n\tfmla v4.4s, v1.4s, v2.s[2]\n\tsubs x1, x1, #0x1\n\tb.ne loop\n", l.text)
	assert.Nil(t, hottestLoop(funcs["barNEON"], "arm64"))

	funcs = functions(x86Disassembly)
	l = hottestLoop(funcs["fooAVX512"], "amd64")
	require.NotNil(t, l)
	assert.Equal(t, 2, l.fmas)
	assert.Equal(t, "loop:\n\tvfmadd231ps (%rax){1to16},%zmm1,%zmm2\n\tvfmadd231ps 0x4(%rax){1to16},%zmm1,%zmm3\n\tadd $0x10,%rax\n\tdec %rcx\n\tjne loop\n", l.text)
}

// The NEON products of spec/fashion.yaml, as built, keep the FMA pipes
// busy: at least 90% of the FMA peak of Neoverse N1 and V1, and of llvm's
// model of Apple M1 (which knows three of its four FMA pipes).
func TestNEONProductsNearPeak(t *testing.T) {
	for _, tool := range []string{"llvm-mca-19", "aarch64-linux-gnu-objdump"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("VECGEN_REQUIRE_ARM64_TOOLS") != "" {
				t.Fatalf("%s not found (make deps installs llvm-19 and binutils-aarch64-linux-gnu)", tool)
			}
			t.Skipf("%s not found", tool)
		}
	}
	preds, err := predict("../../spec/fashion.yaml", "../../kernels", "llvm-mca-19",
		[]tier{{plan.NEON, "aarch64-linux-gnu-objdump", arm64Cores}})
	require.NoError(t, err)
	require.Len(t, preds, 8*len(arm64Cores), "every product on every core")
	for _, p := range preds {
		t.Log(p)
		share := p.peak
		if strings.HasPrefix(p.cpu, "apple") {
			share = p.bound
		}
		assert.GreaterOrEqual(t, share, 0.90, "%s on %s: %.1f%%", p.product, p.cpu, 100*share)
	}
}
