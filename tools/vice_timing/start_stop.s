; start_stop.s - START, PAD cycles, STOP, PAD2 cycles, read timer A's low byte.
;
; Defines: CRA   value written to START: $11 force load + start, $01 start only
;          PAD   padding between the two writes: STOP is written PAD+4 cycles after START
;          PAD2  padding between STOP and the read: the read is PAD2+4 cycles after STOP
; The counter holds $FFFF when started, so $FF - (byte read) is the count it made.
        lda #$FF
        sta $DD04
        sta $DD05               ; timer stopped: the latch-high write loads the counter
        ldx #$00
        lda #CRA
        sta $DD0E               ; START in cycle W
ODD = PAD - PAD / 2 * 2
        .res ODD, $24
        .res ODD, $EA
        .res (PAD - 3 * ODD) / 2, $EA
        stx $DD0E               ; STOP in cycle S = W + PAD + 4
ODD2 = PAD2 - PAD2 / 2 * 2
        .res ODD2, $24
        .res ODD2, $EA
        .res (PAD2 - 3 * ODD2) / 2, $EA
        lda $DD04               ; read in cycle S + PAD2 + 4
        jmp finish
