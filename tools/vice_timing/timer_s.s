; timer_s.s - runtime6502/timer.s (compare.py appends it) timing a wait of
; WAIT_Y * 1279 + (WAIT_Y - 1) * 5 + 4 + 2 * NOPS + 16 cycles (LDY/LDX, the loop, the
; NOPs, JSR and RTS of tm_wait) between tm_start and tm_stop, after tm_calibrate.
;
; Defines: WAIT_Y  outer loop count (1-255); NOPS 0-12
;          BYTE    which byte to report: 0-3 tm_cycles, 4-7 tm_overhead
        jsr tm_calibrate
        jsr tm_start
        jsr tm_wait
        jsr tm_stop
        lda tm_cycles + BYTE
        jmp finish
tm_wait:
        ldy #WAIT_Y
        ldx #0
tw_loop:
        dex
        bne tw_loop
        dey
        bne tw_loop
        .res NOPS, $EA
        rts
