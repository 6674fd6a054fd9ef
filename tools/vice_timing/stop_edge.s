; stop_edge.s - timer A with a small latch, force-loaded and started, stopped PAD+4
; cycles later, then read 16 cycles after the stop (or, with RESTART = 1, started again
; without force load 16 cycles after the stop and read PAD3+4 cycles after that).
; Moving PAD moves the stop across an underflow: where the counter freezes, and
; whether the underflow is flagged.
;
; Defines: LATCH    timer A latch (0-255)
;          PAD      padding between START and STOP (0 or >= 2): STOP at W + PAD + 4
;          RESTART  0 or 1
;          PAD3     with RESTART = 1: padding between the second START and the read
;          REG      register read: $04 counter low, $0D ICR
        lda #LATCH
        sta $DD04
        lda #$00
        sta $DD05               ; stopped: counter = LATCH
        lda $DD0D               ; clear the ICR flags
        ldx #$00
        lda #$11
        sta $DD0E               ; force load + start in cycle W
ODD = PAD - PAD / 2 * 2
        .res ODD, $24
        .res ODD, $EA
        .res (PAD - 3 * ODD) / 2, $EA
        stx $DD0E               ; STOP in cycle S = W + PAD + 4
        nop
        nop
        nop
        nop
        nop
        lda #RESTART            ; 2 + 10 + 2
        .res RESTART, $8D       ; STA $DD0E: the second START, 16 cycles after the stop
        .res RESTART, $0E
        .res RESTART, $DD
ODD3 = PAD3 - PAD3 / 2 * 2
        .res ODD3 * RESTART, $24
        .res ODD3 * RESTART, $EA
        .res (PAD3 - 3 * ODD3) / 2 * RESTART, $EA
        lda $DD00 + REG
        jmp finish
