#include "textflag.h"

// func pairRowsAVX2(k *rowKernel)
//
// Every row i of the pair list, one group of partners 4m..4m+3 at a time,
// lane l holding 4m+l: load their x, y, z, q (one instruction each, from
// the atom block) and LJ entries (by type, then a 4×4 transpose), compute
// the four forces with exactly pairRowForces's operations (IEEE double,
// no FMA, both sides of the switching branch then a blend), zero them in
// lanes that are no partner or beyond the cutoff, add them to the lane's
// partial sum and subtract them from the partners' forces; at the end of
// the row add (s0+s1)+(s2+s3) to atom i's force, as addRowSum does.
TEXT ·pairRowsAVX2(SB), NOSPLIT, $0-8
	MOVQ k+0(FP), AX
	MOVQ 0(AX), SI   // atom blocks
	MOVQ 8(AX), DI   // force blocks
	MOVQ $0, 504(AX) // i

row:
	MOVQ 504(AX), R8
	CMPQ R8, 496(AX)
	JGE end
	MOVQ 480(AX), R9
	MOVLQSX (R9)(R8*4), R11 // first group
	MOVLQSX 4(R9)(R8*4), CX
	SUBQ R11, CX            // groups in the row
	JZ rowdone
	MOVQ 24(AX), DX
	LEAQ (DX)(R11*4), DX    // group block indices
	MOVQ 32(AX), R10
	ADDQ R11, R10           // group masks
	// atom i: x, y, z, Coulomb × q broadcast, its LJ row
	MOVQ R8, R12
	SHRQ $2, R12
	IMUL3Q $160, R12, R12
	ANDQ $3, R8
	LEAQ (R12)(R8*8), R12
	VBROADCASTSD 0(SI)(R12*1), Y0
	VMOVUPD Y0, 64(AX)
	VBROADCASTSD 32(SI)(R12*1), Y0
	VMOVUPD Y0, 96(AX)
	VBROADCASTSD 64(SI)(R12*1), Y0
	VMOVUPD Y0, 128(AX)
	VBROADCASTSD 96(SI)(R12*1), Y0
	VMULPD 384(AX), Y0, Y0
	VMOVUPD Y0, 160(AX)
	MOVQ 128(SI)(R12*1), BX
	IMULQ 488(AX), BX
	ADDQ 16(AX), BX         // LJ row
	VXORPD Y13, Y13, Y13    // partial sums x, y, z
	VXORPD Y14, Y14, Y14
	VXORPD Y15, Y15, Y15

loop:
	MOVLQSX (DX), R8
	IMUL3Q $160, R8, R12 // atom block offset
	IMUL3Q $96, R8, R13  // force block offset
	// dx, dy, dz = x_i - x_j, ...
	VMOVUPD 64(AX), Y4
	VSUBPD 0(SI)(R12*1), Y4, Y4
	VMOVUPD 96(AX), Y5
	VSUBPD 32(SI)(R12*1), Y5, Y5
	VMOVUPD 128(AX), Y6
	VSUBPD 64(SI)(R12*1), Y6, Y6
	// r² = (dx² + dy²) + dz²
	VMULPD Y4, Y4, Y7
	VMULPD Y5, Y5, Y0
	VADDPD Y0, Y7, Y7
	VMULPD Y6, Y6, Y0
	VADDPD Y0, Y7, Y7
	// Y12: the lanes that are partners within the cutoff; none: next group.
	MOVBLZX (R10), R9
	SHLQ $5, R9
	MOVQ 48(AX), R11
	VCMPPD $0x19, 224(AX), Y7, Y12
	VANDPD (R11)(R9*1), Y12, Y12
	VMOVMSKPD Y12, R9
	TESTQ R9, R9
	JZ next
	// ε, 12ε, Rmin² of the four partners' types
	MOVQ 128(SI)(R12*1), R9
	SHLQ $5, R9
	VMOVUPD (BX)(R9*1), Y8
	MOVQ 136(SI)(R12*1), R9
	SHLQ $5, R9
	VMOVUPD (BX)(R9*1), Y9
	MOVQ 144(SI)(R12*1), R9
	SHLQ $5, R9
	VMOVUPD (BX)(R9*1), Y10
	MOVQ 152(SI)(R12*1), R9
	SHLQ $5, R9
	VMOVUPD (BX)(R9*1), Y11
	VUNPCKLPD Y9, Y8, Y0
	VUNPCKHPD Y9, Y8, Y1
	VUNPCKLPD Y11, Y10, Y2
	VUNPCKHPD Y11, Y10, Y3
	VPERM2F128 $0x20, Y2, Y0, Y8  // ε
	VPERM2F128 $0x31, Y2, Y0, Y9  // Rmin²
	VPERM2F128 $0x20, Y3, Y1, Y10 // 12ε
	// inv2 = 1/r²
	VMOVUPD 320(AX), Y0
	VDIVPD Y7, Y0, Y0
	// s6 = (Rmin²·inv2)³ as (s·s)·s
	VMULPD Y0, Y9, Y9
	VMULPD Y9, Y9, Y1
	VMULPD Y9, Y1, Y9
	// c = (q_i·q_j)·sqrt(inv2)
	VMOVUPD 160(AX), Y3
	VMULPD 96(SI)(R12*1), Y3, Y3
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
	VMOVUPD 224(AX), Y0
	VSUBPD Y7, Y0, Y0
	// sw = ((a·a)·((Off² + 2r²) - 3On²))·inv
	VMULPD Y0, Y0, Y1
	VADDPD Y7, Y7, Y8
	VADDPD 224(AX), Y8, Y8
	VSUBPD 256(AX), Y8, Y8
	VMULPD Y8, Y1, Y1
	VMULPD 288(AX), Y1, Y1
	// dsw = ((12·a)·(On² - r²))·inv
	VMULPD 352(AX), Y0, Y0
	VMOVUPD 192(AX), Y8
	VSUBPD Y7, Y8, Y8
	VMULPD Y8, Y0, Y0
	VMULPD 288(AX), Y0, Y0
	// switched g = g·sw - (lj + c)·dsw
	VMULPD Y1, Y2, Y1
	VADDPD Y3, Y10, Y10
	VMULPD Y0, Y10, Y10
	VSUBPD Y10, Y1, Y1
	// g = r² > On² ? switched : g; zero in lanes not taken
	VCMPPD $0x1e, 192(AX), Y7, Y8
	VBLENDVPD Y8, Y1, Y2, Y2
	VANDPD Y12, Y2, Y2
	// g·dx, g·dy, g·dz: into the partial sums, out of the partners
	VMULPD Y2, Y4, Y4
	VMULPD Y2, Y5, Y5
	VMULPD Y2, Y6, Y6
	VADDPD Y4, Y13, Y13
	VADDPD Y5, Y14, Y14
	VADDPD Y6, Y15, Y15
	VMOVUPD 0(DI)(R13*1), Y0
	VSUBPD Y4, Y0, Y0
	VMOVUPD Y0, 0(DI)(R13*1)
	VMOVUPD 32(DI)(R13*1), Y1
	VSUBPD Y5, Y1, Y1
	VMOVUPD Y1, 32(DI)(R13*1)
	VMOVUPD 64(DI)(R13*1), Y2
	VSUBPD Y6, Y2, Y2
	VMOVUPD Y2, 64(DI)(R13*1)

next:
	ADDQ $4, DX
	INCQ R10
	DECQ CX
	JNZ loop

	// f_i += (s0+s1)+(s2+s3), per component
	MOVQ 504(AX), R8
	MOVQ R8, R13
	SHRQ $2, R13
	IMUL3Q $96, R13, R13
	ANDQ $3, R8
	LEAQ (R13)(R8*8), R13
	VEXTRACTF128 $1, Y13, X0
	VHADDPD X0, X13, X1
	VPERMILPD $1, X1, X2
	VADDSD X2, X1, X1
	VMOVSD 0(DI)(R13*1), X3
	VADDSD X1, X3, X3
	VMOVSD X3, 0(DI)(R13*1)
	VEXTRACTF128 $1, Y14, X0
	VHADDPD X0, X14, X1
	VPERMILPD $1, X1, X2
	VADDSD X2, X1, X1
	VMOVSD 32(DI)(R13*1), X3
	VADDSD X1, X3, X3
	VMOVSD X3, 32(DI)(R13*1)
	VEXTRACTF128 $1, Y15, X0
	VHADDPD X0, X15, X1
	VPERMILPD $1, X1, X2
	VADDSD X2, X1, X1
	VMOVSD 64(DI)(R13*1), X3
	VADDSD X1, X3, X3
	VMOVSD X3, 64(DI)(R13*1)

rowdone:
	INCQ 504(AX)
	JMP row

end:
	VZEROUPPER
	RET
