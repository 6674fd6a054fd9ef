; requant.s - requantize one accumulator of dense.s: the low byte of the result
;
; rq_run computes, exactly as docs/semantics.md section 4.1,
;   r = floor((acc*M + R) / 2^S),   R = 2^(S-1) if S > 0, else 0
; and returns r mod 256: the whole of r whenever the caller knows r lies in -128 .. 255
; (activate.s does: its thresholds send every other accumulator to the clamp bounds).
;
; Method
;   P = acc*M (32 bits, two's complement) from three quarter-square products of the
;   accumulator's bytes with M, in line (M patched into the table operands), minus
;   M*2^24 when acc < 0; a high byte of 0 or $FF needs no product (P = acc0*M +
;   acc1*M*2^8, minus M*2^16 for $FF). Only bits S-1 .. S+7 of P matter: bytes q = S/8 and q+1 of P
;   are shifted right by b = S mod 8 (a chain of b "lsr / ror a" steps entered
;   part-way, patched branch), which leaves bit S-1 of P in the carry, and
;     floor((P + 2^(S-1)) / 2^S) = floor(P / 2^S) + (bit S-1 of P)
;   adds it (for b = 0 the bit is the top bit of byte q-1, or 0 when S = 0).
;
; Inputs:    A = M (multiplier, 0..255), Y = S (shift, 0..24), X = j + 1 for the
;            accumulator j of dense.s: its bytes dn_acc0-1+X, dn_acc1-1+X, dn_acc2-1+X
;            (24-bit two's complement), left unchanged.
; Outputs:   A = r mod 256; N and Z from it.
; Clobbers:  Y, flags; X is preserved. Patches its own code (the operands labelled
;            rq_a1 .. rq_c4 and the branch at rq_enter); rq_s, rq_t and 5 bytes of
;            scratch (rq_p-1 .. rq_p+3; rq_p-1 .. rq_skip+7 lie in one 16-byte block,
;            so indexed loads never cross a page).
; Zero page: none
; Cycles:    including the RTS, excluding the caller's JSR (add 6), plus 8*b, plus 1 for
;            each table read that crosses a page and 1 if the chain's entry branch
;            does: 191 when acc's high byte is 0, 209 when it is $FF, else 266 (+5
;            when acc < 0); at most 344. Measured in tests/test_runtime_requant.py
;            (requant.s at $1000): min 191, highest seen 337; mean about 223 for acc in
;            0 .. 65535 and 239 for acc in -65536 .. -1 (uniformly random M and S),
;            about 300 for acc uniformly random over 24 bits. (The old rq_run with three
;            mul8 calls, a 16-bit saturation and a clamp after it: about 383.)
; Requires:  SQ tables
; Imports:   dn_acc0, dn_acc1, dn_acc2

rq_hi0: sty rq_p+3              ; acc2 = 0: P3 = 0 (Y = 0)
        jmp rq_win
rq_hiff:
        sec                     ; acc2 = $FF: P = acc0*M + acc1*M*2^8 - M*2^16
        sbc rq_a1+1
        sta rq_p+2
        lda #0
        sbc #0
        sta rq_p+3
        jmp rq_win

rq_run:
        sty rq_s
        sta rq_a1+1             ; SQ1 + M in the SQ1 operands of bytes 0 and 1
        sta rq_a3+1
        sta rq_b1+1
        sta rq_b3+1
        eor #$FF                ; SQ2 + (255 - M) in their SQ2 operands
        sta rq_a2+1
        sta rq_a4+1
        sta rq_b2+1
        sta rq_b4+1
        ldy dn_acc0-1,x         ; byte 0 times M: P0, and P1 for now
        clc
rq_a1:  lda SQ1LO,y
rq_a2:  sbc SQ2LO,y
        sta rq_p
rq_a3:  lda SQ1HI,y
rq_a4:  sbc SQ2HI,y
        sta rq_p+1
        ldy dn_acc1-1,x         ; byte 1 times M: P1 += low, P2 = high + carry
        clc
rq_b1:  lda SQ1LO,y
rq_b2:  sbc SQ2LO,y
        sta rq_t
rq_b3:  lda SQ1HI,y
rq_b4:  sbc SQ2HI,y
        tay
        lda rq_t
        clc
        adc rq_p+1
        sta rq_p+1
        tya
        adc #0                  ; a product's high byte is at most $FE: no carry out
        sta rq_p+2
        ldy dn_acc2-1,x         ; byte 2: 0 or $FF need no product
        beq rq_hi0
        iny
        beq rq_hiff
        lda rq_a1+1             ; byte 2 times M: P2 += low, P3 = high + carry
        sta rq_c1+1
        sta rq_c3+1
        eor #$FF
        sta rq_c2+1
        sta rq_c4+1
        ldy dn_acc2-1,x
        clc
rq_c1:  lda SQ1LO,y
rq_c2:  sbc SQ2LO,y
        sta rq_t
rq_c3:  lda SQ1HI,y
rq_c4:  sbc SQ2HI,y
        tay
        lda rq_t
        clc
        adc rq_p+2
        sta rq_p+2
        tya
        adc #0
        ldy dn_acc2-1,x
        bpl @pos
        sec                     ; acc < 0: the bytes were acc + 2^24,
        sbc rq_a1+1             ; so take M * 2^24 back off
@pos:   sta rq_p+3
rq_win: lda rq_s                ; b = S mod 8: enter the chain b steps before its end
        and #7
        tay
        lda rq_skip,y
        sta rq_enter+1
        lda rq_s                ; q = S / 8
        lsr a
        lsr a
        lsr a
        tay
        lda rq_p+1,y            ; byte q+1 (for q = 3, b = 0 and it is not used)
        sta rq_t
        lda rq_p-1,y            ; C = top bit of byte q-1: bit S-1 of P when b = 0
        asl a
        lda rq_p,y              ; A = byte q
        clv
rq_enter:
        bvc rq_chain            ; offset patched
rq_chain:
        lsr rq_t                ; 7 x: shift rq_t:A right; the last bit out, bit S-1
        ror a                   ; of P, lands in C
        lsr rq_t
        ror a
        lsr rq_t
        ror a
        lsr rq_t
        ror a
        lsr rq_t
        ror a
        lsr rq_t
        ror a
        lsr rq_t
        ror a
        adc #0                  ; round: + bit S-1 of P
        rts

rq_s:   .res 1
rq_t:   .res 1
        .align 16               ; rq_p-1 .. rq_skip+7 never straddle a page
        .byte 0                 ; rq_p-1: the byte below P, always 0
rq_p:   .res 5                  ; P = acc*M (4 bytes), then one byte read but not used
SHIFT_STEP = 4                  ; bytes of one step of the chain
rq_skip: .byte 7*SHIFT_STEP, 6*SHIFT_STEP, 5*SHIFT_STEP, 4*SHIFT_STEP
        .byte 3*SHIFT_STEP, 2*SHIFT_STEP, 1*SHIFT_STEP, 0
