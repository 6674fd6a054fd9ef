; learn.s - one sample of the perceptron or LMS rule on int8 weights (semantics §9)
;
; lr_sample takes one sample's input bytes (the bias byte 255 last) and its class,
; computes the exact 24-bit accumulator of every unit, predicts the class (one unit:
; acc >= 0 gives 1; several: the first maximal unit), forms each unit's error e (§9.2
; perceptron: +-1 on a mistake; §9.3 LMS: t - clamp(floor(acc/256), -128, 127) with
; t = +-64) and updates every weight in place:
;   w[i][j] = clamp(w[i][j] + sign(e[j]) * floor(|e[j]| * x[i] / 2^K), -128, 127)
; Products come from mul8 (x * (w + 128), less 128 * sum(x) at the end); the input and
; weight addresses are patched into the code, so no zero page is used.
;
; Inputs:    lr_xp (2 bytes): address of the lr_rows input bytes (the last one 255);
;            lr_wp (2 bytes): address of the weights, int8, one row of lr_m bytes per
;              input (row-major [input][unit]);
;            lr_rows: rows 1..255 (inputs + 1); lr_m: units 1..16;
;            lr_label: the true class; lr_rule: 0 perceptron, 1 LMS; lr_k: K 0..15
; Outputs:   the weights updated in place; lr_pred: the class predicted before the
;            update; lr_changed: 1 if any weight changed, else 0; lr_a0/lr_a1/lr_a2:
;            the accumulators (24-bit two's complement, per unit) before the update;
;            lr_es/lr_em: each unit's error as sign (1 negative) and magnitude
; Clobbers:  A, X, Y, flags; mul8_lo, mul8_hi; the routine's own scratch and patched
;            operands
; Zero page: none
; Cycles:    measured in tests/test_runtime_learn.py: for the
;            accumulators about 310 per nonzero input byte with one unit, +107 per
;            further unit, and about 100 per zero input byte; the update about 100 per
;            nonzero input byte plus, per unit with a nonzero error, 110 + 8*K; 668 for
;            one zero feature, one unit and a right prediction. c64ml learn --json gives
;            the mean over a data set (iris, 3 units: 3,421). A taken branch that
;            crosses a page costs one more: c64ml learn puts the file on a page start
; Requires:  mul8.s, SQ tables

LR_MAXU = 16

lr_sample:
        ; -- clear the accumulators and the sum of the inputs
        ldx lr_m
        lda #0
        sta lr_sum
        sta lr_sum+1
        sta lr_changed
@clr:   sta lr_a0-1,x
        sta lr_a1-1,x
        sta lr_a2-1,x
        sta lr_em-1,x
        sta lr_es-1,x
        dex
        bne @clr
        ; -- patch the input and weight addresses
        lda lr_xp
        sta lr_ldx+1
        sta lr_ux+1
        lda lr_xp+1
        sta lr_ldx+2
        sta lr_ux+2
        lda lr_wp
        sta lr_w0+1
        sta lr_w1+1
        lda lr_wp+1
        sta lr_w0+2
        sta lr_w1+2
        lda #0
        sta lr_i
        ; -- acc[j] += x[i] * (w[i][j] + 128) for every row with x[i] != 0
lr_row: ldy lr_i
lr_ldx: lda $FFFF,y
        beq lr_next
        sta lr_xv
        clc
        adc lr_sum
        sta lr_sum
        bcc @nc
        inc lr_sum+1
@nc:    ldx #0
lr_w0:  lda $FFFF,x
        eor #$80
        tay
        lda lr_xv
        jsr mul8
        jmp lr_add
lr_unit:
lr_w1:  lda $FFFF,x
        eor #$80
        tay
        jsr mul8_by
lr_add: clc
        lda mul8_lo
        adc lr_a0,x
        sta lr_a0,x
        lda mul8_hi
        adc lr_a1,x
        sta lr_a1,x
        bcc @nc2
        inc lr_a2,x
@nc2:   inx
        cpx lr_m
        bne lr_unit
lr_next:
        clc
        lda lr_w0+1
        adc lr_m
        sta lr_w0+1
        sta lr_w1+1
        bcc @nc3
        inc lr_w0+2
        inc lr_w1+2
@nc3:   inc lr_i
        lda lr_i
        cmp lr_rows
        bne lr_row
        ; -- acc[j] -= 128 * sum: c = sum << 7 as three bytes
        lda lr_sum+1
        lsr
        sta lr_c2
        lda lr_sum
        ror
        sta lr_c1
        lda #0
        ror
        sta lr_c0
        ldx #0
@sub:   sec
        lda lr_a0,x
        sbc lr_c0
        sta lr_a0,x
        lda lr_a1,x
        sbc lr_c1
        sta lr_a1,x
        lda lr_a2,x
        sbc lr_c2
        sta lr_a2,x
        inx
        cpx lr_m
        bne @sub
        ; -- predict
        lda lr_m
        cmp #1
        bne lr_amax
        lda lr_a2
        asl                     ; carry = sign; pred = 1 - sign
        lda #0
        rol
        eor #1
        sta lr_pred
        jmp lr_err
lr_amax:
        ldy #0                  ; Y = best so far
        ldx #1
@cmp:   sec                     ; best - acc[x] < 0 (signed) means acc[x] > best
        lda lr_a0,y
        sbc lr_a0,x
        lda lr_a1,y
        sbc lr_a1,x
        lda lr_a2,y
        sbc lr_a2,x
        bvc @nv
        eor #$80
@nv:    bpl @keep
        txa
        tay
@keep:  inx
        cpx lr_m
        bne @cmp
        sty lr_pred
        ; -- the errors
lr_err: lda lr_rule
        bne lr_lms
        lda lr_pred
        cmp lr_label
        bne @wrong
        jmp lr_upd              ; right: no update (every e is 0)
@wrong: ldx lr_label
        lda lr_m
        cmp #1
        bne @multi
        lda #1                  ; one unit: e = +1 for class 1, -1 for class 0
        sta lr_em
        txa
        eor #1
        sta lr_es
        jmp lr_upd
@multi: lda #1
        sta lr_em,x             ; e[label] = +1
        ldx lr_pred
        sta lr_em,x             ; e[pred] = -1
        sta lr_es,x
        jmp lr_upd
lr_lms: ldx #0
@unit:  lda lr_a2,x             ; o = clamp(acc2:acc1 as s16, -128, 127) in lr_o
        bmi @neg
        bne @hi
        lda lr_a1,x
        bpl @oset
@hi:    lda #$7F
        bne @oset
@neg:   cmp #$FF
        bne @lo
        lda lr_a1,x
        bmi @oset
@lo:    lda #$80
@oset:  sta lr_o
        ; t = +64 for the true class (one unit: for class 1), else -64
        lda lr_m
        cmp #1
        beq @one
        cpx lr_label
        beq @pos
        bne @negt
@one:   lda lr_label
        bne @pos
@negt:  lda #$C0                ; -64
        ldy #$FF
        bne @tset
@pos:   lda #$40
        ldy #0
@tset:  sty lr_th
        ; e = t - o in 16 bits (o sign-extended)
        sec
        sbc lr_o
        sta lr_el
        lda lr_o
        and #$80
        beq @ope
        lda #$FF
@ope:   sta lr_oh
        lda lr_th
        sbc lr_oh
        bpl @epos
        lda #0                  ; negative: magnitude -e (fits a byte)
        sec
        sbc lr_el
        sta lr_em,x
        lda #1
        sta lr_es,x
        bne @enext
@epos:  lda lr_el
        sta lr_em,x
@enext: inx
        cpx lr_m
        bne @unit
        ; -- the update: w[i][j] = clamp(w + sign(e) * floor(|e| * x / 2^K))
lr_upd: lda lr_wp
        sta lr_uw0+1
        sta lr_uw1+1
        lda lr_wp+1
        sta lr_uw0+2
        sta lr_uw1+2
        lda #0
        sta lr_i
lr_urow:
        ldy lr_i
lr_ux:  lda $FFFF,y
        bne @nz
        jmp lr_unext            ; x = 0: every step is 0
@nz:    ldy #0
        jsr mul8                ; patch mul8 with x
        ldx #0
lr_uunit:
        ldy lr_em,x
        beq lr_uskip
        jsr mul8_by             ; |e| * x
        ldy lr_k
        beq @shifted
@shift: lsr mul8_hi
        ror mul8_lo
        dey
        bne @shift
@shifted:
        lda mul8_hi
        beq @small
        lda #$FF                ; a step of 255 or more saturates whatever w is
        sta mul8_lo
@small:
lr_uw0: lda $FFFF,x
        sta lr_wold
        ldy #0                  ; Y = the high byte of w, sign-extended
        ora #0
        bpl @wpos
        dey
@wpos:  sty lr_oh
        lda lr_es,x
        bne @minus
        clc
        lda lr_wold
        adc mul8_lo
        sta lr_el
        lda lr_oh
        adc #0
        jmp @clamp
@minus: sec
        lda lr_wold
        sbc mul8_lo
        sta lr_el
        lda lr_oh
        sbc #0
@clamp: bmi @cneg               ; high byte: 0 or 1 above, $FF or $FE below
        bne @max
        lda lr_el
        bpl @store
@max:   lda #$7F
        bne @store
@cneg:  cmp #$FF
        bne @min
        lda lr_el
        bmi @store
@min:   lda #$80
@store: cmp lr_wold
        beq lr_uskip
lr_uw1: sta $FFFF,x
        lda #1
        sta lr_changed
lr_uskip:
        inx
        cpx lr_m
        beq lr_unext
        jmp lr_uunit
lr_unext:
        clc
        lda lr_uw0+1
        adc lr_m
        sta lr_uw0+1
        sta lr_uw1+1
        bcc @nc
        inc lr_uw0+2
        inc lr_uw1+2
@nc:    inc lr_i
        lda lr_i
        cmp lr_rows
        beq @done
        jmp lr_urow
@done:  rts

lr_xp:      .res 2
lr_wp:      .res 2
lr_rows:    .res 1
lr_m:       .res 1
lr_label:   .res 1
lr_rule:    .res 1
lr_k:       .res 1
lr_pred:    .res 1
lr_changed: .res 1
lr_i:       .res 1
lr_xv:      .res 1
lr_sum:     .res 2
lr_c0:      .res 1
lr_c1:      .res 1
lr_c2:      .res 1
lr_o:       .res 1
lr_oh:      .res 1
lr_th:      .res 1
lr_el:      .res 1
lr_wold:    .res 1
lr_a0:      .res LR_MAXU
lr_a1:      .res LR_MAXU
lr_a2:      .res LR_MAXU
lr_es:      .res LR_MAXU
lr_em:      .res LR_MAXU
