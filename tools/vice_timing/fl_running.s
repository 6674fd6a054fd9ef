; fl_running.s - force load into a running timer: started without force load from
; $FFFF, then 20 cycles later CRA = FL ($11: force load, keep running; $10: force load
; and stop), read the low byte PAD+4 cycles after that write. The latch is $FF80.
;
; Defines: FL   $11 or $10
;          PAD  padding between the write and the read (0 or >= 2)
        lda #$FF
        sta $DD04
        sta $DD05               ; stopped: counter $FFFF
        lda #$80
        sta $DD04               ; latch $FF80
        lda #$01
        sta $DD0E               ; start, no force load
        ldx #5
fr_wait:
        dex
        bne fr_wait             ; 24 cycles
        lda #FL
        sta $DD0E               ; cycle W
ODD = PAD - PAD / 2 * 2
        .res ODD, $24
        .res ODD, $EA
        .res (PAD - 3 * ODD) / 2, $EA
        lda $DD04               ; read in cycle W + PAD + 4
        jmp finish
