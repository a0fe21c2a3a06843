#include "textflag.h"

// func pairRowAVX2(k *rowKernel)
//
// Four partners j at a time: gather their atoms (x, y, z, q, type) and LJ
// entries with whole-record loads and 4×4 transposes, compute the four
// forces with exactly pairRowForces's operations (in IEEE double, no FMA,
// both sides of the switching branch then a blend, zero beyond the
// cutoff), and add them to f_i and subtract them from f_j one pair after
// the other, in list order.
TEXT ·pairRowAVX2(SB), NOSPLIT, $0-8
	MOVQ k+0(FP), AX
	MOVQ 0(AX), SI  // atoms
	MOVQ 8(AX), DI  // fa
	MOVQ 16(AX), BX // LJ row
	MOVQ 24(AX), DX // js
	MOVQ 32(AX), CX // count
	MOVQ 40(AX), R8 // fi
	VMOVUPD (R8), X15
	VMOVSD 16(R8), X14
	VINSERTF128 $1, X14, Y15, Y15 // Y15 = f_i (x, y, z, 0)
	VXORPD Y13, Y13, Y13
	TESTQ CX, CX
	JZ done

loop:
	MOVLQSX 0(DX), R8
	MOVLQSX 4(DX), R9
	MOVLQSX 8(DX), R10
	MOVLQSX 12(DX), R11
	LEAQ (R8)(R8*4), R12
	VMOVUPD (SI)(R12*8), Y0
	MOVQ 32(SI)(R12*8), R13
	SHLQ $5, R13
	VMOVUPD (BX)(R13*1), Y8
	LEAQ (R9)(R9*4), R12
	VMOVUPD (SI)(R12*8), Y1
	MOVQ 32(SI)(R12*8), R13
	SHLQ $5, R13
	VMOVUPD (BX)(R13*1), Y9
	LEAQ (R10)(R10*4), R12
	VMOVUPD (SI)(R12*8), Y2
	MOVQ 32(SI)(R12*8), R13
	SHLQ $5, R13
	VMOVUPD (BX)(R13*1), Y10
	LEAQ (R11)(R11*4), R12
	VMOVUPD (SI)(R12*8), Y3
	MOVQ 32(SI)(R12*8), R13
	SHLQ $5, R13
	VMOVUPD (BX)(R13*1), Y11
	// x, y, z, q of the four partners
	VUNPCKLPD Y1, Y0, Y4
	VUNPCKHPD Y1, Y0, Y5
	VUNPCKLPD Y3, Y2, Y6
	VUNPCKHPD Y3, Y2, Y7
	VPERM2F128 $0x20, Y6, Y4, Y0 // x
	VPERM2F128 $0x31, Y6, Y4, Y2 // z
	VPERM2F128 $0x20, Y7, Y5, Y1 // y
	VPERM2F128 $0x31, Y7, Y5, Y3 // q
	// ε, 12ε, Rmin²
	VUNPCKLPD Y9, Y8, Y4
	VUNPCKHPD Y9, Y8, Y5
	VUNPCKLPD Y11, Y10, Y6
	VUNPCKHPD Y11, Y10, Y7
	VPERM2F128 $0x20, Y6, Y4, Y8  // ε
	VPERM2F128 $0x31, Y6, Y4, Y9  // Rmin²
	VPERM2F128 $0x20, Y7, Y5, Y10 // 12ε
	// dx, dy, dz = x_i - x_j, ...
	VMOVUPD 48(AX), Y4
	VSUBPD Y0, Y4, Y4
	VMOVUPD 80(AX), Y5
	VSUBPD Y1, Y5, Y5
	VMOVUPD 112(AX), Y6
	VSUBPD Y2, Y6, Y6
	// r² = (dx² + dy²) + dz²
	VMULPD Y4, Y4, Y7
	VMULPD Y5, Y5, Y0
	VADDPD Y0, Y7, Y7
	VMULPD Y6, Y6, Y0
	VADDPD Y0, Y7, Y7
	// Four pairs beyond the cutoff (the list reaches Off + skin) would add
	// exact zeros: skip them.
	VCMPPD $0x19, 208(AX), Y7, Y12
	VMOVMSKPD Y12, R12
	TESTQ R12, R12
	JZ next
	// inv2 = 1/r²
	VMOVUPD 304(AX), Y0
	VDIVPD Y7, Y0, Y0
	// s6 = (Rmin²·inv2)³ as (s·s)·s
	VMULPD Y0, Y9, Y9
	VMULPD Y9, Y9, Y1
	VMULPD Y9, Y1, Y9
	// c = (q_i·q_j)·sqrt(inv2)
	VMULPD 144(AX), Y3, Y3
	VSQRTPD Y0, Y1
	VMULPD Y1, Y3, Y3
	// g = (12ε·(s6·s6 - s6) + c)·inv2
	VMULPD Y9, Y9, Y1
	VSUBPD Y9, Y1, Y2
	VMULPD Y2, Y10, Y2
	VADDPD Y3, Y2, Y2
	VMULPD Y0, Y2, Y2
	// lj = ε·(s6·s6 - 2·s6)
	VADDPD Y9, Y9, Y10
	VSUBPD Y10, Y1, Y10
	VMULPD Y10, Y8, Y10
	// a = Off² - r²
	VMOVUPD 208(AX), Y0
	VSUBPD Y7, Y0, Y0
	// sw = ((a·a)·((Off² + 2r²) - 3On²))·inv
	VMULPD Y0, Y0, Y1
	VADDPD Y7, Y7, Y8
	VADDPD 208(AX), Y8, Y8
	VSUBPD 240(AX), Y8, Y8
	VMULPD Y8, Y1, Y1
	VMULPD 272(AX), Y1, Y1
	// dsw = ((12·a)·(On² - r²))·inv
	VMULPD 336(AX), Y0, Y0
	VMOVUPD 176(AX), Y8
	VSUBPD Y7, Y8, Y8
	VMULPD Y8, Y0, Y0
	VMULPD 272(AX), Y0, Y0
	// switched g = g·sw - (lj + c)·dsw
	VMULPD Y1, Y2, Y1
	VADDPD Y3, Y10, Y10
	VMULPD Y0, Y10, Y10
	VSUBPD Y10, Y1, Y1
	// g = r² > On² ? switched : g; zero unless r² < Off²
	VCMPPD $0x1e, 176(AX), Y7, Y8
	VBLENDVPD Y8, Y1, Y2, Y2
	VANDPD Y12, Y2, Y2
	// g·dx, g·dy, g·dz, then one (gx, gy, gz, 0) per pair
	VMULPD Y2, Y4, Y4
	VMULPD Y2, Y5, Y5
	VMULPD Y2, Y6, Y6
	VUNPCKLPD Y5, Y4, Y0
	VUNPCKHPD Y5, Y4, Y1
	VUNPCKLPD Y13, Y6, Y2
	VUNPCKHPD Y13, Y6, Y3
	VPERM2F128 $0x20, Y2, Y0, Y4
	VPERM2F128 $0x20, Y3, Y1, Y5
	VPERM2F128 $0x31, Y2, Y0, Y6
	VPERM2F128 $0x31, Y3, Y1, Y7
	VADDPD Y4, Y15, Y15
	LEAQ (R8)(R8*2), R12
	VMOVUPD (DI)(R12*8), X0
	VSUBPD X4, X0, X0
	VMOVUPD X0, (DI)(R12*8)
	VEXTRACTF128 $1, Y4, X1
	VMOVSD 16(DI)(R12*8), X0
	VSUBSD X1, X0, X0
	VMOVSD X0, 16(DI)(R12*8)
	VADDPD Y5, Y15, Y15
	LEAQ (R9)(R9*2), R12
	VMOVUPD (DI)(R12*8), X0
	VSUBPD X5, X0, X0
	VMOVUPD X0, (DI)(R12*8)
	VEXTRACTF128 $1, Y5, X1
	VMOVSD 16(DI)(R12*8), X0
	VSUBSD X1, X0, X0
	VMOVSD X0, 16(DI)(R12*8)
	VADDPD Y6, Y15, Y15
	LEAQ (R10)(R10*2), R12
	VMOVUPD (DI)(R12*8), X0
	VSUBPD X6, X0, X0
	VMOVUPD X0, (DI)(R12*8)
	VEXTRACTF128 $1, Y6, X1
	VMOVSD 16(DI)(R12*8), X0
	VSUBSD X1, X0, X0
	VMOVSD X0, 16(DI)(R12*8)
	VADDPD Y7, Y15, Y15
	LEAQ (R11)(R11*2), R12
	VMOVUPD (DI)(R12*8), X0
	VSUBPD X7, X0, X0
	VMOVUPD X0, (DI)(R12*8)
	VEXTRACTF128 $1, Y7, X1
	VMOVSD 16(DI)(R12*8), X0
	VSUBSD X1, X0, X0
	VMOVSD X0, 16(DI)(R12*8)
next:
	ADDQ $16, DX
	SUBQ $4, CX
	JNZ loop

done:
	VEXTRACTF128 $1, Y15, X14
	MOVQ 40(AX), R8
	VMOVUPD X15, (R8)
	VMOVSD X14, 16(R8)
	VZEROUPPER
	RET
