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
;              ac_m (2), ac_s (2)    addresses of the n_out multipliers and n_out shifts,
;                                    minus 1 (kind 0)
;              ac_tab (2)            address of the 256-byte table, or 0 for none (kind 0)
;              ac_th (2)             address of the thresholds, minus 1 (kind 0): n_out
;                                    bytes each of B low, B middle, B high XOR $80, A low,
;                                    A middle, A high XOR $80 (24-bit signed; the high
;                                    bytes biased so that unsigned compares order them)
;              ac_out (2)            where the n_out output bytes go, minus 1
;            (the addresses are minus 1 because X runs n_out..1; ac_m, ac_s, ac_tab,
;            ac_th and ac_out are the operands of instructions in the unit code, which
;            ac_run does not change)
; Outputs:   n_out bytes at ac_out+1.
; Clobbers:  A, X, Y, flags, and what rq_run clobbers. Patches its own code (the
;            operands labelled ac_ssto, ac_neg, ac_b1 .. ac_a2).
; Zero page: none
; Cycles:    measured in tests/test_runtime_dense.py (in its layout): step and sign 19
;            per unit plus 45 fixed. Requantized: 36 per unit below its threshold B (a
;            negative relu input, say), a few more above A, and for the others rq_run's
;            cycles (see requant.s) with its JSR plus about 50 and the table; plus 104
;            fixed. Taken branches that cross a page add a cycle each.
; Requires:  requant.s, dense.s
; Imports:   dn_acc0, dn_acc1, dn_acc2, dn_ptlo, dn_pthi

ac_run:
        ldx dn_nout
        lda ac_kind
        beq ac_rqset
        lda ac_out              ; step and sign: their own store
        sta ac_ssto+1
        lda ac_out+1
        sta ac_ssto+2
        lda ac_kind
ac_ss:  lsr a                   ; the sign of acc
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

ac_rqset:                       ; (ac_m, ac_s, ac_tab and ac_th are operands already)
        lda ac_th               ; the five other threshold arrays, n_out bytes apart
        ldy ac_th+1
        clc
        adc dn_nout
        bcc ac_n1
        iny
        clc
ac_n1:  sta ac_b1+1
        sty ac_b1+2
        adc dn_nout
        bcc ac_n2
        iny
        clc
ac_n2:  sta ac_b2+1
        sty ac_b2+2
        adc dn_nout
        bcc ac_n3
        iny
        clc
ac_n3:  sta ac_a0+1
        sty ac_a0+2
        adc dn_nout
        bcc ac_n4
        iny
        clc
ac_n4:  sta ac_a1+1
        sty ac_a1+2
        adc dn_nout
        bcc ac_n5
        iny
ac_n5:  sta ac_a2+1
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

ac_m = ac_ldm+1                 ; these parameters are operands of the unit code
ac_s = ac_lds+1
ac_tab = ac_ldt+1
ac_out = ac_sto+1
ac_th = ac_b0+1
ac_kind: .res 1
ac_lo:   .res 2
ac_hi:   .res 2
