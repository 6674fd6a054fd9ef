; sparse.s - the accumulators of one dense layer from sparse rows, grouped by magnitude
;
; What it does
;   acc[j] = C[j] + sum over i of w[i][j] * x'[i], exact, as 24-bit two's complement, for
;   j = 1 .. n_out, where x' = x XOR mask (mask $00 for u8 inputs, $80 for s8) and the
;   compiler folds the rest into C (c64ml/backend6502/codegen.py: C = B for u8 inputs,
;   C = B - 128 * sum of w[i][j] for s8). Signed magnitude, no offset binary: only the
;   nonzero weights are stored, a zero weight or a row whose x' is 0 adds nothing, and
;   nothing needs correcting afterwards.
;   Each input row i is a stream of bytes, one group per weight magnitude m (1..127) that
;   occurs in the row:  $80+m, the units j (1..n_out) whose weight is +m, $80, the units
;   whose weight is -m;  after the last group, $80. For each processed row (x' not 0, the
;   row not empty) and each group, the product P = x'*m is made once from the quarter-square
;   tables (their operands patched with x', as in dense.s) and patched into the immediate
;   operands of two short loops: the first adds P to each of its units' accumulators, the
;   second subtracts it. So a stored weight costs one unit byte and one add, a group of
;   equal magnitudes one product.
;
; Inputs:    dense.s's parameters, read (not changed): dn_in, dn_nin, dn_mask, dn_c, dn_nout
;            as for dense.s (but n_out 1..127), and
;              dn_w    (2)  address of the row table: n_in low bytes, then n_in high bytes,
;                           of the rows' stream addresses; a high byte of 0 marks a row
;                           with no nonzero weight (skipped). Each stream is at most 256
;                           bytes (the compiler checks: 2 per group, 1 per weight, 1).
; Outputs:   dn_acc0, dn_acc1, dn_acc2 as dense.s's (unit j at offset j-1).
; Clobbers:  A, X, Y, flags; sp_i. Patches its own code (the operands labelled sp_c0 ..
;            sp_c2, sp_ldx, sp_eor, sp_cpy, sp_rlo, sp_rhi, sp_ps, sp_ns, sp_t1lo .. sp_t2hi,
;            sp_plo, sp_phi, sp_nlo, sp_nhi); never disables interrupts.
; Zero page: none
; Cycles:    measured in tests/test_runtime_dense.py with the KERNAL interrupt live: 34 per
;            stored (nonzero) weight of a processed row, plus 9 when its add carries into
;            (or its subtraction borrows from) the high byte (about 36.9 in all on a random
;            12-magnitude codebook layer, 64x32, 70% nonzero, x' = 200); 66 per group
;            (magnitude) of a processed row, its product and its two head bytes; 79 per
;            processed row; 16 per skipped row (x' = 0 or no nonzero weight); 33 per unit
;            (the start constants, nothing to subtract at the end); 155 fixed.
; Requires:  dense.s, SQ tables
; Imports:   dn_acc0, dn_acc1, dn_acc2, dn_ptlo, dn_pthi

sp_run:
        ; the start constants' arrays, addressed as base-1 because X runs n_out..1
        lda dn_c
        sec
        sbc #1
        sta sp_c0+1
        lda dn_c+1
        sbc #0
        sta sp_c0+2
        clc
        lda sp_c0+1
        adc dn_nout
        sta sp_c1+1
        lda sp_c0+2
        adc #0
        sta sp_c1+2
        clc
        lda sp_c1+1
        adc dn_nout
        sta sp_c2+1
        lda sp_c1+2
        adc #0
        sta sp_c2+2
        ldx dn_nout
sp_init:
sp_c0:  lda $FFFF,x
        sta dn_acc0-1,x
sp_c1:  lda $FFFF,x
        sta dn_acc1-1,x
sp_c2:  lda $FFFF,x
        sta dn_acc2-1,x
        dex
        bne sp_init
        ; dense.s's parameters into this code's operands
        lda dn_in
        sta sp_ldx+1
        lda dn_in+1
        sta sp_ldx+2
        lda dn_mask
        sta sp_eor+1
        lda dn_nin
        sta sp_cpy+1
        ; the row table: low bytes at dn_w, high bytes at dn_w + n_in (n_in 0 is 256)
        lda dn_w
        sta sp_rlo+1
        clc
        adc dn_nin
        sta sp_rhi+1
        lda dn_w+1
        sta sp_rlo+2
        adc #0
        sta sp_rhi+2
        lda dn_nin
        bne sp_first
        inc sp_rhi+2
sp_first:
        ldy #0                  ; Y = the input row i
        jmp sp_next

sp_skip:
        iny
sp_cpy: cpy #$00                ; n_in (0 for 256; operand patched)
        beq sp_end
sp_next:
sp_ldx: lda $FFFF,y             ; x[i]
sp_eor: eor #$00                ; x' = x XOR mask (operand patched)
        beq sp_skip             ; x' = 0 adds nothing
        tax
sp_rhi: lda $FFFF,y             ; the row's stream, high byte; 0: no nonzero weight
        beq sp_skip
        sta sp_ps+2
        sta sp_ns+2
sp_rlo: lda $FFFF,y
        sta sp_ps+1
        sta sp_ns+1
        sty sp_i
        stx sp_t1lo+1           ; SQ1 + x'
        stx sp_t1hi+1
        txa
        eor #$FF
        sta sp_t2lo+1           ; SQ2 + (255 - x')
        sta sp_t2hi+1
        ldy #$FF                ; Y = the stream index, before its first byte
        sec
        jmp sp_nnext            ; the first byte is a group's head
sp_end: rts

        .align 128              ; the loops within one page: no branch crosses
sp_punit:                       ; acc[X] += P (carry clear)
        lda dn_acc0-1,x
sp_plo: adc #$00                ; P, low byte (operand patched)
        sta dn_acc0-1,x
        lda dn_acc1-1,x
sp_phi: adc #$00                ; P, high byte (operand patched)
        sta dn_acc1-1,x
        bcc sp_pnext
        inc dn_acc2-1,x
        clc
sp_pnext:
        iny
sp_ps:  ldx $FFFF,y             ; a unit with weight +m, or $80: the units of -m follow
        bpl sp_punit
        sec
sp_nnext:
        iny
sp_ns:  ldx $FFFF,y             ; a unit with weight -m, or the next group's head $80+m,
        bpl sp_nunit            ; or $80: the end of the row
        txa
        and #$7F
        beq sp_rowend
        tax                     ; X = m
        clc                     ; P = x'*m: (f(x'+m)+1) - f(|x'-m|) - 1, carry set after
sp_t1lo: lda SQ1LO,x
sp_t2lo: sbc SQ2LO,x
        sta sp_plo+1
        sta sp_nlo+1
sp_t1hi: lda SQ1HI,x
sp_t2hi: sbc SQ2HI,x
        sta sp_phi+1
        sta sp_nhi+1
        clc
        bcc sp_pnext
sp_nunit:                       ; acc[X] -= P (carry set)
        lda dn_acc0-1,x
sp_nlo: sbc #$00                ; P, low byte (operand patched)
        sta dn_acc0-1,x
        lda dn_acc1-1,x
sp_nhi: sbc #$00                ; P, high byte (operand patched)
        sta dn_acc1-1,x
        bcs sp_nnext
        dec dn_acc2-1,x
        sec
        bcs sp_nnext
sp_rowend:
        ldy sp_i                ; the next input row
        jmp sp_skip

sp_i:    .res 1
