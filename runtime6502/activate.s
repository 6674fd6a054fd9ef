; activate.s - one layer's output bytes from its accumulators (docs/semantics.md 4 and 5)
;
; What it does
;   For each unit j of the layer that dense.s has just accumulated:
;     kind 1 (step):  y = 1 if acc >= 0 else 0
;     kind 2 (sign):  y = 1 if acc >= 0 else -1 ($FF)
;     kind 0 (requantized activations):
;        r = clamp(floor((acc*M[j] + R) / 2^S[j]), lo, hi)
;        y = table[r + 128] if a table is given (sigmoid, tanh), else r (low byte)
;     r is lo when acc is below the unit's threshold B[j], hi when acc is above A[j], and
;     otherwise rq_run's result (requant.s), which then lies in lo .. hi: the compiler
;     computes B and A exactly (c64ml/backend6502/codegen.py requant_data; a unit whose r
;     never exceeds lo gets B = 2^23-1 and M = 0, so that rq_run gives r = 0 = lo there),
;     so no clamp follows the requantization, and lo .. hi lies within -128 .. 255.
;   and stores y at out+j.
;
; Inputs:    RAM, set before JSR ac_run:
;              dn_acc0/1/2 and dn_nout, as dense.s leaves them
;              ac_kind (1)  0 requantize and clamp, 1 step, 2 sign
;              ac_lo (2), ac_hi (2)  the clamp bounds as signed 16-bit numbers (kind 0;
;                                    only their low bytes are read)
;              ac_m (2), ac_s (2)    addresses of the n_out multipliers and n_out shifts
;                                    (kind 0)
;              ac_tab (2)            address of the 256-byte table, or 0 for none (kind 0)
;              ac_th (2)             address of the thresholds (kind 0): n_out bytes each
;                                    of B low, B middle, B high XOR $80, A low, A middle,
;                                    A high XOR $80 (24-bit signed; the high bytes biased
;                                    so that unsigned compares order them)
;              ac_out (2)            where the n_out output bytes go
; Outputs:   n_out bytes at ac_out.
; Clobbers:  A, X, Y, flags, and what rq_run clobbers. Patches its own code (the
;            operands labelled ac_sto, ac_ssto, ac_neg, ac_ldm .. ac_a2).
; Zero page: none
; Cycles:    measured in tests/test_runtime_dense.py: step and sign 19 per unit plus 55
;            fixed. Requantized: 38 per unit below its threshold B (a negative relu
;            input, say), a few more above A, and for the others rq_run's cycles (see
;            requant.s, with its JSR) plus about 50 and the table; plus 313 fixed (with
;            no page crossings).
; Requires:  requant.s, dense.s
; Imports:   dn_acc0, dn_acc1, dn_acc2

ac_run:
        lda ac_out              ; the outputs, addressed as base-1 (X runs n_out..1)
        sec
        sbc #1
        sta ac_sto+1
        sta ac_ssto+1
        lda ac_out+1
        sbc #0
        sta ac_sto+2
        sta ac_ssto+2
        ldx dn_nout
        lda ac_kind
        beq ac_rqset
ac_ss:  lsr a                   ; step and sign: the sign of acc
        lda #0                  ; kind 1: 0, kind 2: $FF for acc < 0
        sbc #0
        sta ac_neg+1
ac_ssu: lda dn_acc2-1,x
        bmi ac_neg
        lda #1
        bne ac_ssto
ac_neg: lda #0                  ; operand patched
ac_ssto:
        sta $FFFF,x
        dex
        bne ac_ssu
        rts

ac_rqset:
        lda ac_m                ; the per-unit arrays, base-1 too
        ldy ac_m+1
        jsr ac_base
        sta ac_ldm+1
        sty ac_ldm+2
        lda ac_s
        ldy ac_s+1
        jsr ac_base
        sta ac_lds+1
        sty ac_lds+2
        lda ac_tab
        sta ac_ldt+1
        lda ac_tab+1
        sta ac_ldt+2
        lda ac_th               ; the six threshold arrays, n_out bytes apart
        ldy ac_th+1
        jsr ac_base
        sta ac_b0+1
        sty ac_b0+2
        jsr ac_next
        sta ac_b1+1
        sty ac_b1+2
        jsr ac_next
        sta ac_b2+1
        sty ac_b2+2
        jsr ac_next
        sta ac_a0+1
        sty ac_a0+2
        jsr ac_next
        sta ac_a1+1
        sty ac_a1+2
        jsr ac_next
        sta ac_a2+1
        sty ac_a2+2
ac_unit:                        ; X = j + 1
        lda dn_acc2-1,x         ; the high bytes first, biased: most units end here
        eor #$80
        tay
ac_b2:  cmp $FFFF,x             ; acc < B ?
        bcc ac_low
        bne ac_notb
        lda dn_acc0-1,x         ; same high byte: the low 16 bits decide
ac_b0:  cmp $FFFF,x
        lda dn_acc1-1,x
ac_b1:  sbc $FFFF,x
        bcc ac_low
ac_notb:
        tya                     ; A < acc ?
ac_a2:  cmp $FFFF,x
        bcc ac_full
        bne ac_high
ac_a0:  lda $FFFF,x
        cmp dn_acc0-1,x
ac_a1:  lda $FFFF,x
        sbc dn_acc1-1,x
        bcc ac_high
ac_full:
ac_ldm: lda $FFFF,x             ; M
ac_lds: ldy $FFFF,x             ; S
        jsr rq_run              ; A = r, within lo .. hi (X preserved)
        jmp ac_table
ac_high:
        lda ac_hi
        jmp ac_table
ac_low: lda ac_lo
ac_table:
        ldy ac_tab+1            ; a table lives above page 0; 0 means none
        beq ac_sto
        eor #$80                ; index r + 128
        tay
ac_ldt: lda $FFFF,y
ac_sto: sta $FFFF,x
        dex
        bne ac_unit
        rts

ac_next:                        ; A/Y += n_out
        clc
        adc dn_nout
        bcc ac_nc
        iny
ac_nc:  rts
ac_base:                        ; A/Y -= 1
        sec
        sbc #1
        bcs ac_nb
        dey
ac_nb:  rts

ac_kind: .res 1
ac_lo:   .res 2
ac_hi:   .res 2
ac_m:    .res 2
ac_s:    .res 2
ac_tab:  .res 2
ac_out:  .res 2
ac_th:   .res 2
