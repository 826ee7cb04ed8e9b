//go:build gc && !purego

#include "textflag.h"

// func readMXCSR() uint32
TEXT ·readMXCSR(SB), NOSPLIT, $0-4
	STMXCSR ret+0(FP)
	RET
