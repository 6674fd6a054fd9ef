; longloop.s - a loop of about 10 million cycles timed by the chained CIA2 timers
; (A counting cycles, B counting A's underflows, both from $FFFF), with the screen
; on or blanked (SCREEN, see prologue.s): the badline cost is the ratio of the two.
;
; Defines: OP    opcode of the absolute-mode instruction in the innermost loop, on
;                $C000: $AD LDA (reads only), $8D STA (one write), $EE INC (two
;                writes), $20 JSR to an RTS (two writes, then the RTS's reads)
;          OUTER outer loop count (256 x 256 inner iterations each)
;          BYTE  0-3: which byte of the elapsed count (little-endian) to report
        lda #$60
        sta $C000               ; RTS, for OP = $20
        lda #$FF
        sta $DD04
        sta $DD05
        sta $DD06
        sta $DD07
        lda #$51
        sta $DD0F               ; B: count A's underflows, force load, start
        lda #$11
        sta $DD0E               ; A: count cycles, force load, start
        lda #OUTER
        sta $02
        ldy #$00
        ldx #$00
ll_loop:
        .byte OP, $00, $C0      ; the instruction under test
        dex
        bne ll_loop
        dey
        bne ll_loop
        dec $02
        bne ll_loop
        lda #$00
        sta $DD0E               ; stop A (and so B)
        lda $DD04 + BYTE
        eor #$FF                ; elapsed = $FFFFFFFF - B:A
        jmp finish
