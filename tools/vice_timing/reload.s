; reload.s - timer A with a small latch, force-loaded and started; read one register
; PAD+4 cycles after the START write: the counter around its underflows, the ICR
; flag, or the control register (the START bit of a one-shot timer).
;
; Defines: LATCH  timer A latch (0-255)
;          CRA    $11 continuous or $19 one-shot (both force load + start)
;          PAD    padding between the START write and the read (0 or >= 2)
;          REG    register read: $04 counter low, $0D ICR, $0E control register A
        lda #LATCH
        sta $DD04
        lda #$00
        sta $DD05               ; stopped: counter = LATCH
        lda $DD0D               ; clear the ICR flags
        lda #CRA
        sta $DD0E               ; START in cycle W
ODD = PAD - PAD / 2 * 2
        .res ODD, $24
        .res ODD, $EA
        .res (PAD - 3 * ODD) / 2, $EA
        lda $DD00 + REG         ; read in cycle W + PAD + 4
        jmp finish
