; requant.s - requantize a 24-bit accumulator and saturate to signed 16 bits
;
; rq_run computes, exactly as docs/semantics.md section 4,
;   rq_out = clamp(floor((acc*M + R) / 2^S), -32768, 32767)
;   R = 2^(S-1) if S > 0, else 0
; acc*M + R always fits a signed 32-bit integer (the page proves it).
;
; Method
;   P = acc*M from three mul8 partial products of the unsigned 24-bit pattern of
;   acc (minus M*2^24 when acc < 0), sign-extended to 7 bytes. The bytes from S/8
;   up are selected (a byte move); if the top byte of that 4-byte window is not the
;   sign of the byte below, the result saturates at once. Otherwise the remaining
;   S mod 8 bits are shifted out arithmetically (three bytes, the top one in A) by
;   entering an unrolled chain part-way (patched branch), and the rounding uses
;     floor((P + 2^(S-1)) / 2^S) = floor(P / 2^S) + (bit S-1 of P),
;   that bit being the carry the last shift leaves. A range check saturates.
;
; Inputs:    rq_acc (3 bytes, little-endian two's complement, -2^23 .. 2^23-1),
;            rq_m (multiplier, 0..255), rq_s (shift, 0..24). Left unchanged.
; Outputs:   rq_out (2 bytes, little-endian two's complement, -32768 .. 32767)
; Clobbers:  A, X, Y, flags; mul8_lo/mul8_hi and the operands mul8 patches
;            (mul8_by afterwards multiplies by M); the operand of the branch at
;            rq_run's chain entry is rewritten; 8 bytes of scratch (rq_p-1 ..
;            rq_p+6). rq_p-1 .. rq_skip+7 (16 bytes) are 8-aligned below, so
;            indexed loads never cross a page.
; Zero page: none
; Cycles:    including the RTS, excluding the caller's JSR (add 6).
;            Static count of the shortest / longest path: 286 / 506, plus 1
;            for each taken branch that crosses a page in the final layout.
;            Measured in tests/test_runtime_requant.py (mul8.s, requant.s at $1000,
;            where the early-saturation branch crosses a page): min 287, highest
;            seen 502, mean about 383 on uniformly random acc, M and S. Each bit of
;            S mod 8 costs 16; the early saturation (|P| >= 2^(S+23)) is fastest.
; Requires:  mul8.s

rq_run:
        lda rq_m
        ldy rq_acc
        jsr mul8                ; A = hi(acc0*M), mul8_lo = lo
        sta rq_p+1
        lda mul8_lo
        sta rq_p
        ldy rq_acc+1
        jsr mul8_by             ; acc1*M
        sta rq_p+2
        lda mul8_lo
        clc
        adc rq_p+1
        sta rq_p+1
        bcc @c1
        inc rq_p+2              ; a product's high byte is at most $FE: no wrap
@c1:    ldy rq_acc+2
        jsr mul8_by             ; acc2*M
        tax
        lda mul8_lo
        clc
        adc rq_p+2
        sta rq_p+2
        bcc @c2
        inx
@c2:    txa
        bit rq_acc+2
        bpl @pos
        sec                     ; acc < 0: the pattern was acc + 2^24,
        sbc rq_m                ; so take M * 2^24 back off
@pos:   sta rq_p+3              ; rq_p+0..3 = acc*M, two's complement

@sign:  ldx #0                  ; sign-extend into rq_p+4..6
        lda rq_p+3
        bpl @ext
        dex
@ext:   stx rq_p+4
        stx rq_p+5
        stx rq_p+6

        lda rq_s                ; window W = bytes S/8 .. S/8+3 of P
        lsr a
        lsr a
        lsr a
        tax
        lda rq_p+2,x            ; W fits 24 bits iff W3 is the sign of W2;
        asl a                   ; else |W| >= 2^23 and the result saturates
        lda rq_p+3,x
        adc #0
        bne @sat
        lda rq_p,x
        sta rq_out
        lda rq_p+1,x
        sta rq_out+1
        lda rq_s                ; b = S mod 8: enter the shift chain b steps
        and #7                  ; before its end
        tay
        lda rq_skip,y
        sta @enter+1
        lda rq_p-1,x            ; C = bit S-1 of P when b = 0 (0 when S = 0)
        asl a
        lda rq_p+2,x            ; A = W2
        clv
@enter: bvc @chain              ; offset patched
@chain: cmp #$80                ; 7 x arithmetic shift right of A:rq_out+1:rq_out;
        ror a                   ; the last bit out (bit S-1 of P) lands in C
        ror rq_out+1
        ror rq_out
        cmp #$80
        ror a
        ror rq_out+1
        ror rq_out
        cmp #$80
        ror a
        ror rq_out+1
        ror rq_out
        cmp #$80
        ror a
        ror rq_out+1
        ror rq_out
        cmp #$80
        ror a
        ror rq_out+1
        ror rq_out
        cmp #$80
        ror a
        ror rq_out+1
        ror rq_out
        cmp #$80
        ror a
        ror rq_out+1
        ror rq_out
        bcc @fit                ; round: floor((P + 2^(S-1)) / 2^S)
        inc rq_out              ;      = floor(P / 2^S) + bit S-1 of P
        bne @fit
        inc rq_out+1
        bne @fit
        adc #0                  ; C is still set: A + 1
@fit:   tax                     ; fits 16 bits iff A is the sign of rq_out+1
        lda rq_out+1
        asl a
        txa
        adc #0
        bne @sat
        rts
@sat:   ldx #$FF                ; saturate by the sign of P
        ldy #$7F
        lda rq_p+6
        bpl @max
        inx
        iny
@max:   stx rq_out
        sty rq_out+1
        rts

rq_acc: .res 3
rq_m:   .res 1
rq_s:   .res 1
rq_out: .res 2
        .align 8                ; rq_p-1 .. rq_skip+7 never straddle a page:
        .byte 0                 ; rq_p-1: the byte below P, always 0
rq_p:   .res 7                  ; P = acc*M (4 bytes), then its sign (3 bytes)
SHIFT_STEP = 9                  ; bytes of one step of the chain
rq_skip: .byte 7*SHIFT_STEP, 6*SHIFT_STEP, 5*SHIFT_STEP, 4*SHIFT_STEP
        .byte 3*SHIFT_STEP, 2*SHIFT_STEP, 1*SHIFT_STEP, 0
