; dense.s - the accumulators of one dense layer (docs/semantics.md section 3)
;
; What it does
;   acc[j] = B[j] + sum over i of w[i][j] * x[i], exact, as 24-bit two's complement,
;   for j = 0 .. n_out-1.  It works in offset binary so every product is unsigned:
;   w' = w + 128 (stored), x' = x XOR mask (mask $00 for u8 inputs, $80 for s8), and
;   acc[j] = C[j] + sum of w'*x' - 128 * sum of x'
;   where the compiler folds everything constant into C[j] (c64ml/backend6502/codegen.py).
;   Rows whose x' is 0 add nothing and are skipped, so sparse inputs run faster.
;   Products come from the quarter-square tables SQ1LO/SQ1HI/SQ2LO/SQ2HI
;   (c64ml/backend6502/sqtables.py): for one input the table operands are patched with x'
;   (self-modifying code), then one pass over the units adds x'*w'[i][j]+1 to each
;   accumulator; the +1 per processed row is counted in K with the 128*x' term and
;   taken off at the end.
;
; Inputs:    RAM, set before JSR dn_run:
;              dn_in   (2)  address of the n_in input bytes
;              dn_w    (2)  address of the weights w+128: n_in rows of n_out bytes
;                           (row i = input i)
;              dn_c    (2)  address of the start constants C: n_out low bytes, then
;                           n_out middle bytes, then n_out high bytes
;              dn_nin  (1)  n_in, 1..255, or 0 for 256
;              dn_nout (1)  n_out, 1..255
;              dn_mask (1)  $00 when the inputs are u8, $80 when they are s8
; Outputs:   dn_acc0, dn_acc1, dn_acc2: the accumulators' low, middle and high bytes,
;            unit j at offset j.  The program provides these three 255-byte arrays
;            (the compiler puts them in its buffer area); each must start one byte
;            after a page boundary so that indexing from dn_accN-1 with X = 1..n_out
;            never crosses a page.
; Clobbers:  A, X, Y, flags; dn_k0..dn_k2, dn_cnt, dn_save.  Patches its own code (the
;            operands labelled dn_ldx, dn_ldw, dn_s1lo .. dn_s2hi, dn_c0 .. dn_c2);
;            never disables interrupts.
; Zero page: $FB (saved and restored)
;            DN_T, a temporary in the inner loop, saved in dn_save on entry.
; Cycles:    measured in tests/test_runtime_dense.py with the KERNAL interrupt live:
;            about 61 per multiply-accumulate of a processed row (61.4 on a 64x32
;            layer with random weights and no zero inputs; it depends on page
;            crossings in the tables and on carries into the high byte), plus about
;            55 per processed input row, about 46 per skipped (zero) input row, about
;            80 per unit (start constants and final subtraction), and about 150
;            fixed.  A 64x32 layer with no zero inputs: 131,478; with all inputs
;            zero: 5,701.
; Requires:  SQ tables
; Imports:   dn_acc0, dn_acc1, dn_acc2

DN_T = $FB                      ; zero-page temporary (restored)

dn_run:
        lda DN_T
        sta dn_save
        ; the start constants' arrays, addressed as base-1 because X runs n_out..1
        lda dn_c
        sec
        sbc #1
        sta dn_c0+1
        lda dn_c+1
        sbc #0
        sta dn_c0+2
        clc
        lda dn_c0+1
        adc dn_nout
        sta dn_c1+1
        lda dn_c0+2
        adc #0
        sta dn_c1+2
        clc
        lda dn_c1+1
        adc dn_nout
        sta dn_c2+1
        lda dn_c1+2
        adc #0
        sta dn_c2+2
        ldx dn_nout
dn_init:
dn_c0:  lda $FFFF,x
        sta dn_acc0-1,x
dn_c1:  lda $FFFF,x
        sta dn_acc1-1,x
dn_c2:  lda $FFFF,x
        sta dn_acc2-1,x
        dex
        bne dn_init
        ; K = 0; the input pointer; the weight row pointer = dn_w - 1; the row count
        stx dn_k0
        stx dn_k1
        stx dn_k2
        lda dn_in
        sta dn_ldx+1
        lda dn_in+1
        sta dn_ldx+2
        lda dn_w
        sec
        sbc #1
        sta dn_ldw+1
        lda dn_w+1
        sbc #0
        sta dn_ldw+2
        lda dn_nin
        sta dn_cnt

dn_row:
dn_ldx: lda $FFFF               ; x[i]
        eor dn_mask             ; x' = x XOR mask
        beq dn_skip             ; x' = 0 adds nothing
        sta dn_s1lo+1           ; SQ1 + x'
        sta dn_s1hi+1
        eor #$FF
        sta dn_s2lo+1           ; SQ2 + (255 - x')
        sta dn_s2hi+1
        eor #$FF
        ; K += 128*x' + 1   (low byte (x' AND 1)*128 + 1, middle byte x'/2)
        lsr
        tay
        lda #0
        ror
        ora #1
        adc dn_k0               ; carry is clear after the ror
        sta dn_k0
        tya
        adc dn_k1
        sta dn_k1
        bcc dn_kdone
        inc dn_k2
dn_kdone:
        ldx dn_nout
        clc                     ; the inner loop keeps carry clear at its top
dn_inner:
dn_ldw: ldy $FFFF,x             ; w' = w[i][x-1] + 128
dn_s1lo: lda SQ1LO,y            ; (f(x'+w')+1) - f(|x'-w'|) - 1 = x'*w', low byte
dn_s2lo: sbc SQ2LO,y
        sta DN_T
dn_s1hi: lda SQ1HI,y            ; high byte; no final borrow, so carry is set
dn_s2hi: sbc SQ2HI,y
        tay
        lda DN_T
        adc dn_acc0-1,x         ; acc += x'*w' + 1 (the set carry is the +1)
        sta dn_acc0-1,x
        tya
        adc dn_acc1-1,x
        sta dn_acc1-1,x
        bcc dn_nocarry
        inc dn_acc2-1,x
        clc
dn_nocarry:
        dex
        bne dn_inner
dn_skip:
        clc                     ; next weight row, next input
        lda dn_ldw+1
        adc dn_nout
        sta dn_ldw+1
        bcc dn_rowok
        inc dn_ldw+2
dn_rowok:
        inc dn_ldx+1
        bne dn_inok
        inc dn_ldx+2
dn_inok:
        dec dn_cnt
        bne dn_row

        ldx dn_nout             ; acc -= K
dn_fin: sec
        lda dn_acc0-1,x
        sbc dn_k0
        sta dn_acc0-1,x
        lda dn_acc1-1,x
        sbc dn_k1
        sta dn_acc1-1,x
        lda dn_acc2-1,x
        sbc dn_k2
        sta dn_acc2-1,x
        dex
        bne dn_fin
        lda dn_save
        sta DN_T
        rts

dn_in:   .res 2
dn_w:    .res 2
dn_c:    .res 2
dn_nin:  .res 1
dn_nout: .res 1
dn_mask: .res 1
dn_k0:   .res 1
dn_k1:   .res 1
dn_k2:   .res 1
dn_cnt:  .res 1
dn_save: .res 1
