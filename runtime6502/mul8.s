; mul8.s - unsigned 8x8 -> 16-bit multiply with the shared quarter-square tables
;
; Computes a * b for unsigned bytes a and b using
;   a*b = f(a+b) - f(|a-b|),  f(n) = floor(n*n/4)
; with the page-aligned tables SQ1LO/SQ1HI/SQ2LO/SQ2HI from c64ml/backend6502/sqtables.py
; (emitted by sqtables.tables_source()). The multiplicand a is patched into the
; low bytes of the four table operands (self-modifying code), so no zero page is
; used: the routine is safe with the KERNAL interrupt running.
;
; Entry points
;   mul8     multiply A by Y (patches the operands with a, then falls into mul8_by)
;   mul8_by  multiply the a given to the last mul8 call by Y (operands already
;            patched); use it for several products with the same multiplicand
;
; Inputs:    mul8:    A = a (unsigned), Y = b (unsigned)
;            mul8_by: Y = b; a as left by the previous mul8
; Outputs:   mul8_lo, mul8_hi = a*b (RAM bytes, little-endian); A = mul8_hi;
;            carry set; N and Z from the high byte
; Clobbers:  A, flags; X and Y are preserved. mul8 rewrites the operands of four
;            instructions.
; Zero page: none
; Cycles:    measured over all 65,536 pairs in tests/test_runtime_mul8.py,
;            including the RTS, excluding the caller's JSR (add 6):
;              mul8     min 50  max 54  (50 + one per page crossing)
;              mul8_by  min 32  max 36
;            Page crossings: +2 when a+b >= 256, +2 when b > a. Average 52.0.
; Requires:  SQ tables

mul8:   sta mul8_q1+1           ; SQ1 + a
        sta mul8_q3+1
        eor #$FF
        sta mul8_q2+1           ; SQ2 + (255 - a)
        sta mul8_q4+1
mul8_by:
        clc                     ; the +1 in SQ1 cancels this borrow
mul8_q1: lda SQ1LO,y            ; f(a+b) + 1, low byte
mul8_q2: sbc SQ2LO,y            ; - f(|b-a|)
        sta mul8_lo
mul8_q3: lda SQ1HI,y
mul8_q4: sbc SQ2HI,y
        sta mul8_hi
        rts

mul8_lo: .res 1
mul8_hi: .res 1
