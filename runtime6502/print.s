; print.s - unsigned decimal and hex numbers and strings through the KERNAL's CHROUT
;
; What it does
;   pr_u32 prints the 32-bit number at pr_num in decimal, without leading
;   zeros, right-aligned in a field of pr_width characters (0 or 1: no padding;
;   leading zeros inside the field print as spaces). It finds each digit by
;   repeated subtraction of 10^9 .. 10^1. pr_u16 (A = low, X = high) and pr_u8
;   (A) store their argument in pr_num and continue in pr_u32. pr_hex8 prints A
;   as two hex digits. pr_str prints the bytes at A/X (low/high) up to a 0 byte
;   (at most 255 of them). pr_div divides pr_num by pr_den (helpers for
;   percentages and means: restoring shift-and-subtract).
;
; Inputs:    pr_u32: pr_num (4 bytes, little-endian), pr_width (1 byte, 0..10)
;            pr_u16: A = low byte, X = high byte; pr_width
;            pr_u8:  A; pr_width
;            pr_hex8: A
;            pr_str: A = address low byte, X = high byte of a 0-terminated string
;            pr_div: pr_num (4 bytes) dividend, pr_den (2 bytes) divisor, not 0
; Outputs:   pr_u32/u16/u8: the digits on the screen (via CHROUT $FFD2); pr_num is 0
;            after. pr_div: pr_num = quotient, pr_rem (2 bytes) = remainder.
; Clobbers:  A, X, Y, flags (pr_hex8: A, flags; CHROUT also clears the I flag).
;            pr_t (3 bytes), pr_lead. pr_str patches its own load operand.
; Zero page: none
;            (CHROUT itself uses the KERNAL's zero page, as any KERNAL call does.)
; Cycles:    including the RTS, excluding the caller's JSR and the time spent in
;            CHROUT; tests/test_runtime_print.py checks these formulas exactly.
;            pr_u32: 32 + for each of the 9 leading positions (10^9 .. 10^1) with
;              digit d: 2 + 81*d + 49 + 6 (+1 per subtraction for each power-table
;              read that crosses a page), then 17 when printed, or for a leading
;              zero 19 skipped, 28 padded at the field's first column, 29 padded
;              after it; then 7 (6 for the last position). 0 prints in 782 cycles
;              (tables not crossing a page), 4,294,967,295 in 4,996. pr_u16: +18,
;              pr_u8: +20.
;            pr_div: 17 + per quotient bit 41 + 21 (bit 0), 50 (bit 1) or 33 (the
;              remainder passed 16 bits): 2,001 .. 2,929.
;            pr_hex8 and pr_str: a few dozen cycles plus about 20 per character.
; Requires:  none

PR_CHROUT = $FFD2

pr_u8:
        ldx #0
pr_u16:
        sta pr_num
        stx pr_num+1
        lda #0
        sta pr_num+2
        sta pr_num+3
pr_u32:
        lda #0
        sta pr_lead             ; becomes nonzero with the first digit printed
        ldx #0                  ; index into the power tables: 10^9 first
@digit: ldy #0                  ; this digit's value
@sub:   sec                     ; pr_t = pr_num - 10^k (bytes 0..2), A = byte 3
        lda pr_num
        sbc pr_p0,x
        sta pr_t
        lda pr_num+1
        sbc pr_p1,x
        sta pr_t+1
        lda pr_num+2
        sbc pr_p2,x
        sta pr_t+2
        lda pr_num+3
        sbc pr_p3,x
        bcc @emit               ; went below 0: the digit is complete
        sta pr_num+3
        lda pr_t+2
        sta pr_num+2
        lda pr_t+1
        sta pr_num+1
        lda pr_t
        sta pr_num
        iny
        bne @sub                ; always: a digit is at most 9
@emit:  tya
        ora pr_lead
        bne @print
        txa                     ; a leading zero: a space if inside the field
        eor #$FF
        clc
        adc #11                 ; 10 - x = digits left including this one
        cmp pr_width
        beq @space
        bcs @next
@space: lda #' '
        jsr PR_CHROUT
        jmp @next
@print: tya
        ora #'0'
        sta pr_lead
        jsr PR_CHROUT
@next:  inx
        cpx #9
        bne @digit
        lda pr_num              ; the last digit, always printed
        ora #'0'
        jsr PR_CHROUT
        lda #0
        sta pr_num
        rts

pr_hex8:
        pha
        lsr a
        lsr a
        lsr a
        lsr a
        jsr pr_nyb
        pla
        and #$0F
pr_nyb: cmp #10                 ; 0..15 -> '0'..'9', 'A'..'F'
        bcc @dig
        adc #'A'-'0'-10-1       ; carry is set here
@dig:   adc #'0'
        jmp PR_CHROUT

pr_str:
        sta pr_ld+1
        stx pr_ld+2
        ldy #0
pr_ld:  lda $FFFF,y             ; address patched
        beq @end
        jsr PR_CHROUT
        iny
        bne pr_ld
@end:   rts

pr_div:
        lda #0
        sta pr_rem
        sta pr_rem+1
        ldx #32
@bit:   asl pr_num              ; shift the dividend's top bit into the remainder
        rol pr_num+1
        rol pr_num+2
        rol pr_num+3
        rol pr_rem
        rol pr_rem+1
        bcs @take               ; the remainder passed 16 bits: surely >= divisor
        lda pr_rem
        cmp pr_den
        lda pr_rem+1
        sbc pr_den+1
        bcc @skip
@take:  lda pr_rem
        sbc pr_den              ; carry is set on both paths here
        sta pr_rem
        lda pr_rem+1
        sbc pr_den+1
        sta pr_rem+1
        inc pr_num              ; the quotient bit (bit 0 is 0 after the ASL)
@skip:  dex
        bne @bit
        rts

pr_p0:  .byte $00, $00, $80, $40, $A0, $10, $E8, $64, $0A
pr_p1:  .byte $CA, $E1, $96, $42, $86, $27, $03, $00, $00
pr_p2:  .byte $9A, $F5, $98, $0F, $01, $00, $00, $00, $00
pr_p3:  .byte $3B, $05, $00, $00, $00, $00, $00, $00, $00
pr_num: .res 4
pr_den: .res 2
pr_rem: .res 2
pr_width: .byte 0
pr_t:   .res 3
pr_lead: .res 1
