; start_read.s - read CIA2 timer A's low byte PAD+4 cycles after the START write.
;
; Defines: CRA  value written to $DD0E: $11 force load + start, $01 start only,
;               $19 / $09 the same one-shot
;          PAD  cycles of padding between the START write and the read (0 or >= 2)
; The counter holds $FFFF when started and the latch $FF80: a force load starts
; from $FF80, a plain start from $FFFF.
        lda #$FF
        sta $DD04
        sta $DD05               ; timer stopped: the latch-high write loads the counter
        lda #$80
        sta $DD04               ; latch $FF80 (a latch-low write does not load)
        lda #CRA
        sta $DD0E               ; START, written in this instruction's last cycle W
ODD = PAD - PAD / 2 * 2
        .res ODD, $24           ; BIT $EA (3 cycles) if PAD is odd ...
        .res ODD, $EA
        .res (PAD - 3 * ODD) / 2, $EA   ; ... and NOPs (2 cycles each)
        lda $DD04               ; read in cycle W + PAD + 4
        jmp finish
