; cascade.s - timer B counting timer A's underflows (CRB = %0101_0001, the 32-bit
; counter of runtime6502/timer.s), both with small latches; B started first, then A;
; read one register PAD+4 cycles after A's START write.
;
; Defines: LA, LB  latches of A and B (0-255)
;          PAD     padding between A's START write and the read (0 or >= 2)
;          REG     register read: $06 B's counter low, $0D ICR (bit 0 A, bit 1 B)
        lda #LA
        sta $DD04
        lda #$00
        sta $DD05               ; A stopped: counter = LA
        lda #LB
        sta $DD06
        lda #$00
        sta $DD07               ; B stopped: counter = LB
        lda $DD0D               ; clear the ICR flags
        lda #$51
        sta $DD0F               ; B: count A's underflows, force load, start
        lda #$11
        sta $DD0E               ; A: phi2, continuous, force load, start: cycle W
ODD = PAD - PAD / 2 * 2
        .res ODD, $24
        .res ODD, $EA
        .res (PAD - 3 * ODD) / 2, $EA
        lda $DD00 + REG         ; read in cycle W + PAD + 4
        jmp finish
