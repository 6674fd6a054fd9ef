; rq32.s - a wide layer's output bytes from its 32-bit accumulators (semantics 4 and 5)
;
; What it does
;   Both requantization modes of docs/semantics.md section 4, and step and sign, in one
;   sign-magnitude form the compiler derives per unit (c64ml/backend6502/wide.py):
;     acc <= L[j]        y = lo
;     acc >  A[j]        y = hi
;     otherwise          y = s*floor((|acc|*M[j] + K[j]) / 2^T[j]) + zp,  s = sign of acc,
;                        K = Kp[j] if acc >= 0, else Kn[j]
;   then y = table[y + 128] if the layer has a table, stored at out+j.
;   L and A are exact thresholds, so between them y needs no clamp and
;   |y - zp| <= 255: the low byte of (P >> T) is the whole magnitude.
;   P = |acc|*M + K (at most 63 bits) is summed from mul8 products of the
;   nonzero bytes of |acc| and the first mb bytes of M.
;   Per unit the compiler stores a 31-byte record:
;      0 L (4)   4 A (4)   8 M (4)   12 mb   13 T/8   14 T mod 8   15 Kp (8)   23 Kn (8)
;   (all little-endian; L and A signed).
;
; Inputs:    wd_acc0 .. wd_acc3 (wide.s); RAM, set before JSR rq32_run:
;              rq32_rec (2)  address of the n records
;              rq32_n   (1)  n, the number of units, 1..255
;              rq32_out (2)  where the n output bytes go
;              rq32_zp  (1)  the zero point added to s*floor(...)
;              rq32_lo  (1), rq32_hi (1)  the output bytes below L and above A
;              rq32_tab (2)  address of a 256-byte table, or 0 for none
; Outputs:   n bytes at rq32_out.
; Clobbers:  A, X, Y, flags; what mul8 clobbers; r3_* scratch; the operands of the
;            table load and the output store are patched.
; Zero page: $FB-$FC (saved and restored)
;            R3_PTR, the current record.
; Cycles:    measured in tests/test_runtime_wide.py, including the RTS, excluding
;            the caller's JSR, plus about 20 per layer: a unit the thresholds decide
;            costs 165 (at or below L) or 230 (above A); a unit that multiplies
;            costs about 700 plus about 140 per nonzero product of an |acc| byte and
;            an M byte (12 at most: about 2,400). For example (8 units, shift -20):
;            |acc| = $123456, M = $40010203: 2,371 a unit; |acc| = $56: 1,238.
; Requires:  mul8.s
; Imports:   wd_acc0, wd_acc1, wd_acc2, wd_acc3

R3_PTR = $FB                    ; the current record (restored)
R3_REC = 31                     ; bytes per unit record

rq32_run:
        lda R3_PTR
        sta r3_save
        lda R3_PTR+1
        sta r3_save+1
        lda rq32_rec
        sta R3_PTR
        lda rq32_rec+1
        sta R3_PTR+1
        lda rq32_out
        sta r3_sto+1
        lda rq32_out+1
        sta r3_sto+2
        lda rq32_tab
        sta r3_ldt+1
        lda rq32_tab+1
        sta r3_ldt+2
        lda #0
        sta r3_j
r3_unit:
        ldx r3_j
        lda wd_acc0,x
        sta r3_a
        lda wd_acc1,x
        sta r3_a+1
        lda wd_acc2,x
        sta r3_a+2
        lda wd_acc3,x
        sta r3_a+3
        ldy #0                  ; L - acc >= 0: y = lo
        jsr r3_cmp
        bmi r3_abov
        lda rq32_lo
        jmp r3_have
r3_abov:
        ldy #4                  ; A - acc < 0: y = hi
        jsr r3_cmp
        bpl r3_mul
        lda rq32_hi
        jmp r3_have
r3_mul:
        lda r3_a+3              ; |acc| into r3_p; Y = where K starts in the record
        sta r3_neg
        bmi @neg
        ldx #3
@cp:    lda r3_a,x
        sta r3_p,x
        dex
        bpl @cp
        ldy #15
        bne r3_kset
@neg:   sec
        ldx #0
@ng:    lda #0
        sbc r3_a,x
        sta r3_p,x
        inx
        txa
        eor #4
        bne @ng
        ldy #23
r3_kset: ldx #0                 ; P = K (8 bytes), and two zero bytes above
@kc:    lda (R3_PTR),y
        sta r3_pp,x
        iny
        inx
        cpx #8
        bne @kc
        lda #0
        sta r3_pp+8
        sta r3_pp+9
        ldy #12                 ; mb: how many bytes of M to use (0: M = 0)
        lda (R3_PTR),y
        beq r3_prod_end
        sta r3_mb
        lda #0
        sta r3_i
r3_iloop:
        ldx r3_i
        lda r3_p,x
        beq r3_inext            ; a zero byte of |acc| adds nothing
        sta r3_pi
        lda #0
        sta r3_k
r3_kloop:
        lda r3_k
        clc
        adc #8
        tay
        lda (R3_PTR),y          ; byte k of M
        beq r3_knext
        tay
        lda r3_pi
        jsr mul8                ; mul8_lo/hi = |acc| byte i * M byte k
        lda r3_i
        clc
        adc r3_k
        tax                     ; X = i + k: where the product adds in
        clc
        lda r3_pp,x
        adc mul8_lo
        sta r3_pp,x
        lda r3_pp+1,x
        adc mul8_hi
        sta r3_pp+1,x
        bcc r3_knext
@carry: inc r3_pp+2,x           ; P < 2^63, so the carry stops below byte 8
        bne r3_knext
        inx
        bne @carry
r3_knext:
        inc r3_k
        lda r3_k
        cmp r3_mb
        bne r3_kloop
r3_inext:
        inc r3_i
        lda r3_i
        cmp #4
        bne r3_iloop
r3_prod_end:
        ldy #13                 ; the 16 bits at byte T/8, shifted right T mod 8
        lda (R3_PTR),y
        tax
        lda r3_pp+1,x
        sta r3_hi
        lda r3_pp,x
        pha
        iny
        lda (R3_PTR),y
        tay
        pla
        cpy #0
        beq @done
@sh:    lsr r3_hi
        ror a
        dey
        bne @sh
@done:  bit r3_neg              ; A = |y - zp|; negate for a negative acc
        bpl @pos
        eor #$FF
        clc
        adc #1
@pos:   clc
        adc rq32_zp
r3_have:
        ldx r3_ldt+2            ; a table's page is never 0
        beq r3_store
        eor #$80                ; index y + 128
        tax
r3_ldt: lda $FFFF,x
r3_store:
        ldx r3_j
r3_sto: sta $FFFF,x
        clc                     ; the next record
        lda R3_PTR
        adc #R3_REC
        sta R3_PTR
        bcc @nc
        inc R3_PTR+1
@nc:    inc r3_j
        lda r3_j
        cmp rq32_n
        beq r3_end
        jmp r3_unit
r3_end: lda r3_save
        sta R3_PTR
        lda r3_save+1
        sta R3_PTR+1
        rts

; N after r3_cmp: the sign of (the 4-byte signed value at record offset Y) - acc
r3_cmp: sec
        lda (R3_PTR),y
        sbc r3_a
        iny
        lda (R3_PTR),y
        sbc r3_a+1
        iny
        lda (R3_PTR),y
        sbc r3_a+2
        iny
        lda (R3_PTR),y
        sbc r3_a+3
        bvc @ok
        eor #$80                ; overflow: the true sign is the opposite of bit 7
@ok:    rts

rq32_rec: .res 2
rq32_n:   .res 1
rq32_out: .res 2
rq32_zp:  .res 1
rq32_lo:  .res 1
rq32_hi:  .res 1
rq32_tab: .res 2
r3_save:  .res 2
r3_j:     .res 1
r3_a:     .res 4
r3_neg:   .res 1
r3_p:     .res 4
r3_pp:    .res 10
r3_mb:    .res 1
r3_i:     .res 1
r3_k:     .res 1
r3_pi:    .res 1
r3_hi:    .res 1
