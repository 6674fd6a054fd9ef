; prologue.s - shared start of every timing fragment (compare.py puts it first and
; epilogue.s last; assemble with c64ml's assembler, defines given by compare.py).
;
; Defines: SCREEN  0: blank the screen (DEN, bit 4 of $D011, clear) so no badline
;                  steals cycles; 1: leave it on.
; After the raster wait below, a blanked screen has no badline left in this frame
; (the last is line $F7) and none in later frames (DEN is clear at line $30).
        .org $080D
        sei
        lda #$7F
        sta $DD0D               ; CIA2: every interrupt source masked
        lda #$00
        sta $DD0E               ; CIA2 timers A and B stopped
        sta $DD0F
        sta $D015               ; no sprites
        lda $DD0D               ; clear CIA2's ICR flags
        lda #$0B + SCREEN * $10
        sta $D011
pro_wait:
        lda $D012
        cmp #$FC
        bne pro_wait
