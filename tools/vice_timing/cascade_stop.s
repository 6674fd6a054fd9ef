; cascade_stop.s - timer B counting timer A's underflows (as cascade.s), A stopped
; PAD+4 cycles after its start; one register read 14 cycles after the stop.
;
; Defines: LA, LB  latches of A and B (0-255)
;          PAD     padding between A's START and STOP (0 or >= 2)
;          REG     register read: $04 A's counter, $06 B's counter, $0D ICR
        lda #LA
        sta $DD04
        lda #$00
        sta $DD05
        lda #LB
        sta $DD06
        lda #$00
        sta $DD07
        lda $DD0D
        ldx #$00
        lda #$51
        sta $DD0F               ; B: count A's underflows, force load, start
        lda #$11
        sta $DD0E               ; A: force load + start in cycle W
ODD = PAD - PAD / 2 * 2
        .res ODD, $24
        .res ODD, $EA
        .res (PAD - 3 * ODD) / 2, $EA
        stx $DD0E               ; STOP A in cycle W + PAD + 4
        nop
        nop
        nop
        nop
        nop
        lda $DD00 + REG         ; 14 cycles after the stop
        jmp finish
