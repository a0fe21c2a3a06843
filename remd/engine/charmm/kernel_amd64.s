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

// func pairRowsAVX512(k *rowKernel)
//
// pairRowsAVX2 with two groups of partners in the eight lanes of a 512-bit
// register at once (the divider and square root take as long for eight
// lanes as for four), then a last group on its own as pairRowsAVX2 does.
// Each lane computes the same IEEE operations as there; group m0's forces
// are added to the partial sums before group m1's, as the group-by-group
// loop adds them, so the result has the same bits.
TEXT ·pairRowsAVX512(SB), NOSPLIT, $0-8
	MOVQ k+0(FP), AX
	MOVQ 0(AX), SI   // atom blocks
	MOVQ 8(AX), DI   // force blocks
	MOVQ $0, 504(AX) // i
	// constants in all eight lanes, for the two-group body
	VBROADCASTSD 224(AX), Z16 // Off²
	VBROADCASTSD 192(AX), Z17 // On²
	VBROADCASTSD 256(AX), Z18 // 3On²
	VBROADCASTSD 288(AX), Z19 // 1/(Off²-On²)³
	VBROADCASTSD 320(AX), Z20 // 1
	VBROADCASTSD 352(AX), Z21 // 12

row512:
	MOVQ 504(AX), R8
	CMPQ R8, 496(AX)
	JGE end512
	MOVQ 480(AX), R9
	MOVLQSX (R9)(R8*4), R11 // first group
	MOVLQSX 4(R9)(R8*4), CX
	SUBQ R11, CX            // groups in the row
	JZ rowdone512
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
	VBROADCASTSD 64(AX), Z26
	VBROADCASTSD 96(AX), Z27
	VBROADCASTSD 128(AX), Z28
	VBROADCASTSD 160(AX), Z29
	MOVQ 128(SI)(R12*1), BX
	IMULQ 488(AX), BX
	ADDQ 16(AX), BX         // LJ row
	VXORPD Y13, Y13, Y13    // partial sums x, y, z
	VXORPD Y14, Y14, Y14
	VXORPD Y15, Y15, Y15

loop512:
	CMPQ CX, $2
	JLT single512
	// Two groups m0 = grpM[g], m1 = grpM[g+1] at once: lanes 0-3 hold
	// 4m0..4m0+3, lanes 4-7 hold 4m1..4m1+3, each lane computing exactly
	// what the four-lane body computes for it.
	MOVLQSX (DX), R8
	MOVLQSX 4(DX), R9
	MOVBLZX (R10), R11
	MOVBLZX 1(R10), R12
	SHLL $4, R12
	ORL R12, R11
	KMOVW R11, K2           // partner lanes of both groups
	IMUL3Q $160, R8, R12    // atom block offsets
	IMUL3Q $160, R9, R13
	IMUL3Q $96, R8, R8      // force block offsets
	IMUL3Q $96, R9, R9
	// dx, dy, dz = x_i - x_j, ...
	VMOVUPD 0(SI)(R12*1), Y4
	VINSERTF64X4 $1, 0(SI)(R13*1), Z4, Z4
	VSUBPD Z4, Z26, Z4
	VMOVUPD 32(SI)(R12*1), Y5
	VINSERTF64X4 $1, 32(SI)(R13*1), Z5, Z5
	VSUBPD Z5, Z27, Z5
	VMOVUPD 64(SI)(R12*1), Y6
	VINSERTF64X4 $1, 64(SI)(R13*1), Z6, Z6
	VSUBPD Z6, Z28, Z6
	// r² = (dx² + dy²) + dz²
	VMULPD Z4, Z4, Z7
	VMULPD Z5, Z5, Z0
	VADDPD Z0, Z7, Z7
	VMULPD Z6, Z6, Z0
	VADDPD Z0, Z7, Z7
	// K1: the lanes that are partners within the cutoff; none: next pair.
	VCMPPD $0x19, Z16, Z7, K1
	KANDW K2, K1, K1
	KORTESTW K1, K1
	JZ next2512
	// ε, 12ε, Rmin² of the eight partners' types: each group's four LJ
	// entries transposed as pairRowsAVX2 does (faster than gathers), group
	// m1's into the upper lanes
	MOVQ 128(SI)(R12*1), R11
	SHLQ $5, R11
	VMOVUPD (BX)(R11*1), Y8
	MOVQ 136(SI)(R12*1), R11
	SHLQ $5, R11
	VMOVUPD (BX)(R11*1), Y9
	MOVQ 144(SI)(R12*1), R11
	SHLQ $5, R11
	VMOVUPD (BX)(R11*1), Y10
	MOVQ 152(SI)(R12*1), R11
	SHLQ $5, R11
	VMOVUPD (BX)(R11*1), Y11
	VUNPCKLPD Y9, Y8, Y0
	VUNPCKHPD Y9, Y8, Y1
	VUNPCKLPD Y11, Y10, Y2
	VUNPCKHPD Y11, Y10, Y3
	VPERM2F128 $0x20, Y2, Y0, Y8  // ε
	VPERM2F128 $0x31, Y2, Y0, Y9  // Rmin²
	VPERM2F128 $0x20, Y3, Y1, Y10 // 12ε
	MOVQ 128(SI)(R13*1), R11
	SHLQ $5, R11
	VMOVUPD (BX)(R11*1), Y0
	MOVQ 136(SI)(R13*1), R11
	SHLQ $5, R11
	VMOVUPD (BX)(R11*1), Y1
	MOVQ 144(SI)(R13*1), R11
	SHLQ $5, R11
	VMOVUPD (BX)(R11*1), Y2
	MOVQ 152(SI)(R13*1), R11
	SHLQ $5, R11
	VMOVUPD (BX)(R11*1), Y3
	VUNPCKLPD Y1, Y0, Y11
	VUNPCKHPD Y1, Y0, Y12
	VUNPCKLPD Y3, Y2, Y0
	VUNPCKHPD Y3, Y2, Y1
	VPERM2F128 $0x20, Y0, Y11, Y2  // ε
	VPERM2F128 $0x31, Y0, Y11, Y3  // Rmin²
	VPERM2F128 $0x20, Y1, Y12, Y11 // 12ε
	VINSERTF64X4 $1, Y2, Z8, Z8
	VINSERTF64X4 $1, Y3, Z9, Z9
	VINSERTF64X4 $1, Y11, Z10, Z10
	// inv2 = 1/r²
	VDIVPD Z7, Z20, Z0
	// s6 = (Rmin²·inv2)³ as (s·s)·s
	VMULPD Z0, Z9, Z9
	VMULPD Z9, Z9, Z1
	VMULPD Z9, Z1, Z9
	// c = (q_i·q_j)·sqrt(inv2)
	VMOVUPD 96(SI)(R12*1), Y3
	VINSERTF64X4 $1, 96(SI)(R13*1), Z3, Z3
	VMULPD Z3, Z29, Z3
	VSQRTPD Z0, Z1
	VMULPD Z1, Z3, Z3
	// g = (12ε·(s6·s6 - s6) + c)·inv2
	VMULPD Z9, Z9, Z1
	VSUBPD Z9, Z1, Z2
	VMULPD Z2, Z10, Z2
	VADDPD Z3, Z2, Z2
	VMULPD Z0, Z2, Z2
	// lj = ε·(s6·s6 - 2·s6)
	VADDPD Z9, Z9, Z11
	VSUBPD Z11, Z1, Z11
	VMULPD Z11, Z8, Z11
	// a = Off² - r²
	VSUBPD Z7, Z16, Z0
	// sw = ((a·a)·((Off² + 2r²) - 3On²))·inv
	VMULPD Z0, Z0, Z1
	VADDPD Z7, Z7, Z23
	VADDPD Z16, Z23, Z23
	VSUBPD Z18, Z23, Z23
	VMULPD Z23, Z1, Z1
	VMULPD Z19, Z1, Z1
	// dsw = ((12·a)·(On² - r²))·inv
	VMULPD Z21, Z0, Z0
	VSUBPD Z7, Z17, Z23
	VMULPD Z23, Z0, Z0
	VMULPD Z19, Z0, Z0
	// switched g = g·sw - (lj + c)·dsw
	VMULPD Z1, Z2, Z1
	VADDPD Z3, Z11, Z11
	VMULPD Z0, Z11, Z11
	VSUBPD Z11, Z1, Z1
	// g = r² > On² ? switched : g; +0 in lanes not taken
	VCMPPD $0x1e, Z17, Z7, K2
	VBLENDMPD Z1, Z2, K2, Z2
	VMOVAPD.Z Z2, K1, Z2
	// g·dx, g·dy, g·dz: into the partial sums (group m0, then m1), out
	// of the partners
	VMULPD Z2, Z4, Z4
	VMULPD Z2, Z5, Z5
	VMULPD Z2, Z6, Z6
	VEXTRACTF64X4 $1, Z4, Y24
	VEXTRACTF64X4 $1, Z5, Y25
	VEXTRACTF64X4 $1, Z6, Y30
	VADDPD Y4, Y13, Y13
	VADDPD Y5, Y14, Y14
	VADDPD Y6, Y15, Y15
	VADDPD Y24, Y13, Y13
	VADDPD Y25, Y14, Y14
	VADDPD Y30, Y15, Y15
	VMOVUPD 0(DI)(R8*1), Y0
	VSUBPD Y4, Y0, Y0
	VMOVUPD Y0, 0(DI)(R8*1)
	VMOVUPD 32(DI)(R8*1), Y1
	VSUBPD Y5, Y1, Y1
	VMOVUPD Y1, 32(DI)(R8*1)
	VMOVUPD 64(DI)(R8*1), Y2
	VSUBPD Y6, Y2, Y2
	VMOVUPD Y2, 64(DI)(R8*1)
	VMOVUPD 0(DI)(R9*1), Y0
	VSUBPD Y24, Y0, Y0
	VMOVUPD Y0, 0(DI)(R9*1)
	VMOVUPD 32(DI)(R9*1), Y1
	VSUBPD Y25, Y1, Y1
	VMOVUPD Y1, 32(DI)(R9*1)
	VMOVUPD 64(DI)(R9*1), Y2
	VSUBPD Y30, Y2, Y2
	VMOVUPD Y2, 64(DI)(R9*1)

next2512:
	ADDQ $8, DX
	ADDQ $2, R10
	SUBQ $2, CX
	JNZ loop512
	JMP sums512

single512:
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
	JZ next512
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

next512:
	ADDQ $4, DX
	INCQ R10
	DECQ CX
	JNZ loop512

sums512:
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

rowdone512:
	INCQ 504(AX)
	JMP row512

end512:
	VZEROUPPER
	RET
