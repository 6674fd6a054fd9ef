; wide.s - 32-bit accumulators built from 24-bit partial sums (docs/semantics.md section 3)
;
; What it does
;   A "wide" layer (more than 256 inputs, a unit bound over 2^23 - 1, or TFLite
;   requantization) is accumulated by dense.s or an unrolled layer in chunks of at
;   most 256 inputs, without the bias. Each chunk's sum is exact in 24 bits (256
;   inputs of at most 255 times weights of at most 128 stay below 2^23), so
;   sign-extending it loses nothing:
;     wd_first:  acc32[j] = B[j] + sext(acc24[j])      after the first chunk
;     wd_add:    acc32[j] = acc32[j] + sext(acc24[j])  after each further chunk
;   for j = 0 .. n_out-1. rq32.s then turns acc32 into output bytes.
;
; Inputs:    dn_acc0/1/2 and dn_nout (1..255), as dense.s or unrolled code leaves them;
;            wd_first also reads wd_b (2): the address of the 32-bit biases, stored
;            as n_out low bytes, then n_out bytes 1, then bytes 2, then bytes 3.
; Outputs:   wd_acc0 .. wd_acc3: acc32's bytes, low first, unit j at offset j.
; Clobbers:  A, X, Y, flags. wd_first patches the operands of its four bias loads.
; Zero page: none
; Cycles:    including the RTS, excluding the caller's JSR, with no page crossings:
;            wd_add 66 per unit (67 for a negative chunk sum) plus 9; wd_first adds
;            41 per unit and 97 fixed. Exact in tests/test_runtime_wide.py.
; Requires:  dense.s
; Imports:   dn_acc0, dn_acc1, dn_acc2, dn_ptlo, dn_pthi, wd_acc0, wd_acc1, wd_acc2, wd_acc3

wd_first:
        lda wd_b                ; the four bias arrays, addressed as base-1: X runs n..1
        sec
        sbc #1
        sta wd_lb0+1
        lda wd_b+1
        sbc #0
        sta wd_lb0+2
        clc
        lda wd_lb0+1
        adc dn_nout
        sta wd_lb1+1
        lda wd_lb0+2
        adc #0
        sta wd_lb1+2
        clc
        lda wd_lb1+1
        adc dn_nout
        sta wd_lb2+1
        lda wd_lb1+2
        adc #0
        sta wd_lb2+2
        clc
        lda wd_lb2+1
        adc dn_nout
        sta wd_lb3+1
        lda wd_lb2+2
        adc #0
        sta wd_lb3+2
        ldx dn_nout
wd_copy:
wd_lb0: lda $FFFF,x
        sta wd_acc0-1,x
wd_lb1: lda $FFFF,x
        sta wd_acc1-1,x
wd_lb2: lda $FFFF,x
        sta wd_acc2-1,x
wd_lb3: lda $FFFF,x
        sta wd_acc3-1,x
        dex
        bne wd_copy
wd_add:
        ldx dn_nout
wd_unit:
        ldy #0                  ; Y = the sign extension of the 24-bit sum
        lda dn_acc2-1,x
        bpl wd_pos
        dey
wd_pos: clc
        lda wd_acc0-1,x
        adc dn_acc0-1,x
        sta wd_acc0-1,x
        lda wd_acc1-1,x
        adc dn_acc1-1,x
        sta wd_acc1-1,x
        lda wd_acc2-1,x
        adc dn_acc2-1,x
        sta wd_acc2-1,x
        tya
        adc wd_acc3-1,x
        sta wd_acc3-1,x
        dex
        bne wd_unit
        rts

wd_b:   .res 2
