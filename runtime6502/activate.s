; activate.s - one layer's output bytes from its accumulators (docs/semantics.md 4 and 5)
;
; What it does
;   For each unit j of the layer that dense.s has just accumulated:
;     kind 1 (step):  y = 1 if acc >= 0 else 0
;     kind 2 (sign):  y = 1 if acc >= 0 else -1 ($FF)
;     kind 0 (requantized activations):
;        r = clamp(floor((acc*M[j] + R) / 2^S[j]), lo, hi)   (rq_run, then the clamp)
;        y = table[r + 128] if a table is given (sigmoid, tanh), else r (low byte)
;     The requantization is skipped when acc is below the unit's threshold B[j] (then
;     r clamps to lo) or above A[j] (then r clamps to hi); the compiler computes B and A
;     exactly (c64ml/backend6502/codegen.py), so most saturated units (a negative relu input, say)
;     cost about 60 cycles instead of about 500.
;   and stores y at out+j.
;
; Inputs:    RAM, set before JSR ac_run:
;              dn_acc0/1/2 and dn_nout, as dense.s leaves them
;              ac_kind (1)  0 requantize and clamp, 1 step, 2 sign
;              ac_lo (2), ac_hi (2)  the clamp bounds as signed 16-bit numbers (kind 0)
;              ac_m (2), ac_s (2)    addresses of the n_out multipliers and n_out shifts
;                                    (kind 0)
;              ac_tab (2)            address of the 256-byte table, or 0 for none (kind 0)
;              ac_th (2)             address of the thresholds (kind 0): n_out bytes each
;                                    of B low, B middle, B high, A low, A middle, A high
;                                    (24-bit signed)
;              ac_out (2)            where the n_out output bytes go
; Outputs:   n_out bytes at ac_out.
; Clobbers:  A, X, Y, flags, and what rq_run clobbers. Patches its own code (ac_ldm,
;            ac_lds, ac_ldt, ac_sto, ac_b0..ac_a2 operands); ac_j.
; Zero page: none
; Cycles:    measured in tests/test_runtime_dense.py: step and sign 55 per unit plus 31
;            fixed. Requantized: 76 per unit the thresholds decide, more (rq_run's
;            cycles, see requant.s, and the clamp) for the others, plus 179 fixed (with
;            no page crossings).
; Requires:  requant.s, dense.s
; Imports:   dn_acc0, dn_acc1, dn_acc2

ac_run:
        lda ac_out
        sta ac_sto+1
        lda ac_out+1
        sta ac_sto+2
        lda ac_kind             ; step and sign need nothing else
        bne ac_nth
        lda ac_m
        sta ac_ldm+1
        lda ac_m+1
        sta ac_ldm+2
        lda ac_s
        sta ac_lds+1
        lda ac_s+1
        sta ac_lds+2
        lda ac_tab
        sta ac_ldt+1
        lda ac_tab+1
        sta ac_ldt+2
        lda ac_th               ; the six threshold arrays, n_out bytes apart
        ldx ac_th+1
        sta ac_b0+1
        stx ac_b0+2
        clc
        adc dn_nout
        bcc @b1
        inx
@b1:    sta ac_b1+1
        stx ac_b1+2
        clc
        adc dn_nout
        bcc @b2
        inx
@b2:    sta ac_b2+1
        stx ac_b2+2
        clc
        adc dn_nout
        bcc @a0
        inx
@a0:    sta ac_a0+1
        stx ac_a0+2
        clc
        adc dn_nout
        bcc @a1
        inx
@a1:    sta ac_a1+1
        stx ac_a1+2
        clc
        adc dn_nout
        bcc @a2
        inx
@a2:    sta ac_a2+1
        stx ac_a2+2
ac_nth: ldx dn_nout
        dex
        stx ac_j
ac_unit:
        ldx ac_j
        lda ac_kind
        beq ac_rq
        jmp ac_ss
ac_rq:  lda dn_acc0,x            ; acc < B: r clamps to lo
ac_b0:  cmp $FFFF,x
        lda dn_acc1,x
ac_b1:  sbc $FFFF,x
        lda dn_acc2,x
ac_b2:  sbc $FFFF,x
        bvc ac_v3
        eor #$80
ac_v3:  bpl ac_notb
        lda ac_lo
        jmp ac_clamped
ac_notb:
ac_a0:  lda $FFFF,x             ; A < acc: r clamps to hi
        cmp dn_acc0,x
ac_a1:  lda $FFFF,x
        sbc dn_acc1,x
ac_a2:  lda $FFFF,x
        sbc dn_acc2,x
        bvc ac_v4
        eor #$80
ac_v4:  bpl ac_full
        lda ac_hi
        jmp ac_clamped
ac_full:
        lda dn_acc0,x
        sta rq_acc
        lda dn_acc1,x
        sta rq_acc+1
        lda dn_acc2,x
        sta rq_acc+2
ac_ldm: lda $FFFF,x
        sta rq_m
ac_lds: lda $FFFF,x
        sta rq_s
        jsr rq_run
        lda rq_out              ; r < lo ?  (signed 16-bit compare)
        cmp ac_lo
        lda rq_out+1
        sbc ac_lo+1
        bvc ac_v1
        eor #$80
ac_v1:  bpl ac_notlow
        lda ac_lo
        jmp ac_clamped
ac_notlow:
        lda ac_hi               ; hi < r ?
        cmp rq_out
        lda ac_hi+1
        sbc rq_out+1
        bvc ac_v2
        eor #$80
ac_v2:  bpl ac_nothigh
        lda ac_hi
        jmp ac_clamped
ac_nothigh:
        lda rq_out
ac_clamped:
        ldy ac_tab+1            ; a table lives above page 0; 0 means none
        beq ac_store
        eor #$80                ; index r + 128
        tay
ac_ldt: lda $FFFF,y
        jmp ac_store
ac_ss:  lda dn_acc2,x           ; step and sign: the sign of acc
        bmi ac_neg
        lda #1
        bne ac_store
ac_neg: lda ac_kind
        cmp #2
        beq ac_minus
        lda #0
        beq ac_store
ac_minus:
        lda #$FF
ac_store:
        ldx ac_j
ac_sto: sta $FFFF,x
        txa
        beq ac_done
        dex
        stx ac_j
        jmp ac_unit
ac_done:
        rts

ac_kind: .res 1
ac_lo:   .res 2
ac_hi:   .res 2
ac_m:    .res 2
ac_s:    .res 2
ac_tab:  .res 2
ac_out:  .res 2
ac_th:   .res 2
ac_j:    .res 1
