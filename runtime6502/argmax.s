; argmax.s - index of the first largest byte in a buffer (signed or unsigned)
;
; amax_run scans count bytes from the last to the first and keeps the
; position of the largest value, replacing it on "greater or equal", so ties
; go to the lowest index (docs/semantics.md section 6). Signed bytes are
; compared as unsigned after flipping bit 7 (EOR #$80), which keeps their
; order; the EOR operand and the running maximum live in patched operands.
;
; Inputs:    A = buffer address low byte, X = high byte, Y = count (1..255;
;            0 returns 0 and reads nothing), carry set = signed bytes (s8),
;            carry clear = unsigned bytes (u8)
; Outputs:   A = X = index of the first maximal byte (0 .. count-1)
; Clobbers:  A, X, Y (Y = $FF, or 0 when count is 0), flags. The operands of
;            three instructions in amax_run are rewritten (buffer address, EOR
;            mask, running maximum); no other RAM; the buffer is only read.
; Zero page: none
; Cycles:    including the RTS, excluding the caller's JSR (add 6):
;              37 + 18*count + 7*u + c
;            u = number of times the maximum is replaced (1 .. count; 1 when
;            the last byte is the largest, count when every byte is equal or
;            the values fall from last to first), c = number of bytes read
;            across a page boundary (0 unless the buffer straddles a page).
;            count 1: 62; count 255: min 4,634, max 6,412 (no crossings);
;            count 0: 37. Measured in tests/test_runtime_argmax.py for every
;            count up to 8 and random buffers up to 255 long.
; Requires:  none

amax_run:
        sta amax_ld+1           ; buffer address into the load
        stx amax_ld+2
        lda #0
        ror a                   ; $80 if signed, else $00
        sta amax_flip+1
        lda #0                  ; running maximum (flipped): every byte is >= 0,
        sta amax_cmp+1          ; so the last byte always takes it first
        tya
        tax                     ; X = 0 if count is 0
        beq amax_end
        dey                     ; Y = count-1 .. 0
amax_loop:
amax_ld: lda $FFFF,y            ; address patched
amax_flip: eor #$00             ; mask patched
amax_cmp: cmp #$00              ; running maximum patched
        bcc amax_next
        sta amax_cmp+1          ; >=: a new maximum at a lower index
        tya
        tax
amax_next:
        dey
        cpy #$FF
        bne amax_loop
amax_end:
        txa
        rts
