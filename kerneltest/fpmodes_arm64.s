//go:build gc && !purego

#include "textflag.h"

// func readFPCR() uint64
TEXT ·readFPCR(SB), NOSPLIT, $0-8
	MRS FPCR, R0
	MOVD R0, ret+0(FP)
	RET
