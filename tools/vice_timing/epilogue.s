; epilogue.s - end of every timing fragment: A, EOR $80, is the run's exit code
; (a write to $D7FF ends VICE -debugcart and c64ml's harness with that code; the
; EOR keeps small values away from 1, VICE's exit code for -limitcycles).
finish:
        eor #$80
        sta $D7FF
hang:   jmp hang
