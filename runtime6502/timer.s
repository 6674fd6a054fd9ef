; timer.s - a 32-bit cycle counter: CIA2 timer A counting phi2, timer B counting A's underflows
;
; What it does
;   tm_start stops both CIA2 timers, loads $FFFF into both latches and counters
;   (FORCE LOAD), starts timer B in cascade mode (CRB = %0101_0001: count timer-A
;   underflows, force load, start) and then timer A (CRA = $11: phi2, continuous,
;   force load, start). Together they count down from $FFFFFFFF, one per cycle.
;   tm_stop stops timer A (so B stops too), reads the four counter bytes while
;   they stand still, and leaves
;       tm_cycles = ($FFFFFFFF - B:A) - tm_overhead
;   tm_calibrate measures tm_start + tm_stop with nothing in between twice and
;   keeps the smaller count in tm_overhead (an IRQ can hit one 18-cycle window,
;   never both), so that afterwards
;       jsr tm_start / <code> / jsr tm_stop
;   gives exactly the cycles of <code> in tm_cycles. Wall-clock cycles: a KERNAL
;   IRQ (or VIC-II badline) during <code> is counted too, as on the machine.
;   The stopped counter is exact at every phase, A's reload cycles included (the
;   CIA's start/stop pipeline as VICE x64sc has it: docs/harness.md).
;
; Inputs:    tm_start, tm_stop, tm_calibrate: nothing. Call tm_calibrate once before
;            the first tm_stop whose figure is used (tm_overhead starts at 0).
;            The KERNAL leaves CIA2's interrupts masked ($DD0D = $7F after reset);
;            keep them masked, the underflows must not cause NMIs.
; Outputs:   tm_cycles (4 bytes, little-endian): cycles between the two calls'
;            counting points minus tm_overhead. tm_overhead (4 bytes): the calibrated
;            overhead (17 with the IRQ quiet: tm_start's RTS 6, the JSR 6, LDA # 2,
;            STA abs 4 from the START write to the STOP write, less 1: started with
;            force load in W and stopped in S, timer A counts S-W-1 cycles, as VICE).
; Clobbers:  tm_start: A, flags. tm_stop: A, X, flags. tm_calibrate: A, X, Y, flags.
;            CIA2 timer A and B latches, counters and control registers ($DD04-$DD07,
;            $DD0E, $DD0F); CIA2 ICR flags.
; Zero page: none
; Cycles:    including the RTS, excluding the caller's JSR; no branches taken
;            differently, so fixed; checked in tests/test_runtime_timer.py:
;            tm_start 46, tm_stop 111, tm_calibrate 451 (with no IRQ in between);
;            tm_stop and tm_calibrate +1 per read of tm_overhead/tm_cycles that
;            crosses a page.
; Requires:  none

TM_TALO = $DD04
TM_TAHI = $DD05
TM_TBLO = $DD06
TM_TBHI = $DD07
TM_CRA = $DD0E
TM_CRB = $DD0F

tm_start:
        lda #$00
        sta TM_CRA              ; stop A, then B
        sta TM_CRB
        lda #$FF
        sta TM_TALO             ; latches $FFFF (loaded into the counters below)
        sta TM_TAHI
        sta TM_TBLO
        sta TM_TBHI
        lda #$51                ; B: count A underflows, force load, start
        sta TM_CRB
        lda #$11                ; A: phi2, continuous, force load, start
        sta TM_CRA              ; counting starts with this write
        rts

tm_stop:
        lda #$00
        sta TM_CRA              ; counting stops with this write: A stops, B gets no more
        sec                     ; tm_cycles = (B:A XOR $FFFFFFFF) - tm_overhead
        ldx #0
@byte:  lda TM_TALO,x
        eor #$FF
        sbc tm_overhead,x
        sta tm_cycles,x
        inx
        txa                     ; (CPX would clobber the borrow)
        eor #4
        bne @byte
        rts

tm_calibrate:
        lda #0
        ldx #3
@zero:  sta tm_overhead,x
        dex
        bpl @zero
        jsr tm_start
        jsr tm_stop
        ldx #3
@keep:  lda tm_cycles,x
        sta tm_overhead,x
        dex
        bpl @keep
        jsr tm_start            ; second run: keep it if smaller (tm_cycles < 0 here)
        jsr tm_stop
        lda tm_cycles+3
        bpl @done               ; second >= first: keep the first
        ldx #0                  ; tm_overhead += tm_cycles (negative): the second count
        clc
@add:   lda tm_overhead,x
        adc tm_cycles,x
        sta tm_overhead,x
        inx
        txa
        eor #4
        bne @add
@done:  rts

tm_cycles: .res 4
tm_overhead: .res 4
