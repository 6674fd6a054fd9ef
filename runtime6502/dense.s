; dense.s - the accumulators of one dense layer (docs/semantics.md section 3)
;
; What it does
;   acc[j] = B[j] + sum over i of w[i][j] * x[i], exact, as 24-bit two's complement,
;   for j = 0 .. n_out-1.  It works in offset binary so every product is unsigned:
;   w' = w + 128, x' = x XOR mask (mask $00 for u8 inputs, $80 for s8), and
;   acc[j] = C[j] + sum of w'*x' - 128 * sum of x'
;   where the compiler folds everything constant into C[j] (c64ml/backend6502/codegen.py).
;   Rows whose x' is 0 add nothing and are skipped, so sparse inputs run faster.
;   Each processed row adds x'*w'+1 to every accumulator; the +1 per processed row is
;   counted in K with the 128*x' term and taken off at the end. Two inner loops:
;   - tables (dn_lv+1 = 0): the weights are w'. Products come from the quarter-square
;     tables SQ1LO/SQ1HI/SQ2LO/SQ2HI (c64ml/backend6502/sqtables.py): the table operands
;     are patched with x' (self-modifying code), then one pass over the units.
;   - levels (dn_lv set): the layer's weights take only L distinct values (a codebook),
;     and the weight bytes are their level numbers 1..L. For each processed row the
;     L products x'*v'+1 go to dn_ptlo/dn_pthi first (quarter squares), then the pass
;     over the units only looks them up: fewer cycles per unit, L products more per row
;     (the compiler picks this loop when it pays: c64ml/backend6502/costmodel.py
;     dense_levels).
;
; Inputs:    RAM, set before JSR dn_run:
;              dn_in   (2)  address of the n_in input bytes
;            (dn_in, dn_nin and dn_mask are the operands of instructions in the row code:
;            dn_run changes none of them, so they keep their values between calls)
;              dn_w    (2)  address of the weights: n_in rows of n_out bytes (row i =
;                           input i), each w+128, or with levels its level 1..L
;              dn_c    (2)  address of the start constants C: n_out low bytes, then
;                           n_out middle bytes, then n_out high bytes
;              dn_lv   (2)  address of the levels: L (1..255), then v' (w+128) of level
;                           1 .. L; or any value with a high byte of 0 for none
;              dn_nin  (1)  n_in, 1..255, or 0 for 256
;              dn_nout (1)  n_out, 1..255
;              dn_mask (1)  $00 when the inputs are u8, $80 when they are s8
; Outputs:   dn_acc0, dn_acc1, dn_acc2: the accumulators' low, middle and high bytes,
;            unit j at offset j.  The program provides these three 255-byte arrays
;            (the compiler puts them in its buffer area); each must start one byte
;            after a page boundary so that indexing from dn_accN-1 with X = 1..n_out
;            never crosses a page.  It also provides dn_ptlo and dn_pthi, L+1 bytes
;            each for the largest L it passes (index 0 unused).
; Clobbers:  A, X, Y, flags; dn_k0..dn_k2, dn_i, dn_save, dn_ptlo/dn_pthi 1..L.
;            Patches its own code (the operands labelled dn_c0 .. dn_c2, dn_adn, dn_ldw, dn_ptw, dn_lvc, dn_lvv, dn_lvn, dn_go, dn_s1lo ..
;            dn_s2hi, dn_t1lo .. dn_t2hi); never disables interrupts.
; Zero page: $FB (saved and restored)
;            DN_T, a temporary in the inner loop, saved in dn_save on entry.
; Cycles:    measured in tests/test_runtime_dense.py with the KERNAL interrupt live:
;            tables loop: about 60 per multiply-accumulate of a processed row (59.7 on a
;            64x32 layer with random weights and no zero inputs, 62.0 with the rows'
;            set-up; it depends on page crossings in the tables and on carries into the
;            high byte), plus about 74 per processed input row. Levels loop: about 39.5
;            per multiply-accumulate, plus about 37 per level and 76 per processed row.
;            Either: 30 per skipped (zero) input row, 79 per unit (start constants and
;            final subtraction), and about 168 fixed (31 more with levels). A 64x32
;            layer with no zero inputs: 131,705 (tables); with all inputs zero: 4,712.
; Requires:  SQ tables
; Imports:   dn_acc0, dn_acc1, dn_acc2, dn_ptlo, dn_pthi

DN_T = $FB                      ; zero-page temporary (restored)

dn_run:
        lda DN_T
        sta dn_save
        ; the start constants' arrays, addressed as base-1 because X runs n_out..1
        lda dn_c
        sec
        sbc #1
        sta dn_c0+1
        lda dn_c+1
        sbc #0
        sta dn_c0+2
        clc
        lda dn_c0+1
        adc dn_nout
        sta dn_c1+1
        lda dn_c0+2
        adc #0
        sta dn_c1+2
        clc
        lda dn_c1+1
        adc dn_nout
        sta dn_c2+1
        lda dn_c1+2
        adc #0
        sta dn_c2+2
        ldx dn_nout
dn_init:
dn_c0:  lda $FFFF,x
        sta dn_acc0-1,x
dn_c1:  lda $FFFF,x
        sta dn_acc1-1,x
dn_c2:  lda $FFFF,x
        sta dn_acc2-1,x
        dex
        bne dn_init
        ; K = 0; n_out into the row step's operand
        stx dn_k0
        stx dn_k1
        stx dn_k2
        lda dn_nout             ; (dn_in, dn_nin and dn_mask are operands already)
        sta dn_adn+1
        ; the weight row pointer, dn_w - 1, into the tables loop's weight load (the row
        ; step advances it; the levels loop copies it)
        lda dn_w
        sec
        sbc #1
        sta dn_ldw+1
        lda dn_w+1
        sbc #0
        sta dn_ldw+2
        ; which inner loop: products from the tables, or from the layer's levels
        lda #<dn_sqrow
        ldx #>dn_sqrow
        ldy dn_lv+1
        beq dn_path
        sty dn_lvc+2
        sty dn_lvv+2
        ldy dn_lv
        sty dn_lvc+1
        sty dn_lvv+1
dn_lvc: ldy $FFFF               ; L, the number of levels
        sty dn_lvn+1
        lda #<dn_ptrow
        ldx #>dn_ptrow
dn_path:
        sta dn_go+1
        stx dn_go+2
        ldy #0                  ; Y = the input row i
        jmp dn_next

dn_end: ldx dn_nout             ; acc -= K
dn_fin: sec
        lda dn_acc0-1,x
        sbc dn_k0
        sta dn_acc0-1,x
        lda dn_acc1-1,x
        sbc dn_k1
        sta dn_acc1-1,x
        lda dn_acc2-1,x
        sbc dn_k2
        sta dn_acc2-1,x
        dex
        bne dn_fin
        lda dn_save
        sta DN_T
        rts

dn_skip:                        ; next weight row, next input
        clc
        lda dn_ldw+1
dn_adn: adc #$00                ; n_out (operand patched)
        sta dn_ldw+1
        bcc dn_rowok
        inc dn_ldw+2
dn_rowok:
        iny
dn_cpy: cpy #$00                ; n_in (0 for 256; operand patched)
        beq dn_end
dn_next:
dn_ldx: lda $FFFF,y             ; x[i]
dn_eor: eor #$00                ; x' = x XOR mask (operand patched)
        beq dn_skip             ; x' = 0 adds nothing
        sty dn_i
        tax                     ; X = x'
        ; K += 128*x' + 1   (low byte (x' AND 1)*128 + 1, middle byte x'/2)
        lsr
        tay
        lda #0
        ror
        ora #1
        adc dn_k0               ; carry is clear after the ror
        sta dn_k0
        tya
        adc dn_k1
        sta dn_k1
        bcc dn_go
        inc dn_k2
dn_go:  jmp dn_sqrow            ; or dn_ptrow (patched)

dn_sqrow:                       ; products from the tables, unit by unit
        txa
        sta dn_s1lo+1           ; SQ1 + x'
        sta dn_s1hi+1
        eor #$FF
        sta dn_s2lo+1           ; SQ2 + (255 - x')
        sta dn_s2hi+1
        ldx dn_nout
        clc                     ; the inner loop keeps carry clear at its top
        jmp dn_inner
dn_ptrow:                       ; products x'*v'+1 of the L levels first
        txa
        sta dn_t1lo+1
        sta dn_t1hi+1
        eor #$FF
        sta dn_t2lo+1
        sta dn_t2hi+1
        lda dn_ldw+1            ; this row's weights
        sta dn_ptw+1
        lda dn_ldw+2
        sta dn_ptw+2
dn_lvn: ldx #$00                ; L (operand patched)
        sec                     ; set carry: (f(x'+v')+1) - f(|x'-v'|) = x'*v' + 1
        jmp dn_lvl
        .align 64               ; each inner loop within one page: no branch crosses
dn_inner:
dn_ldw: ldy $FFFF,x             ; w' = w[i][x-1] + 128
dn_s1lo: lda SQ1LO,y            ; (f(x'+w')+1) - f(|x'-w'|) - 1 = x'*w', low byte
dn_s2lo: sbc SQ2LO,y
        sta DN_T
dn_s1hi: lda SQ1HI,y            ; high byte; no final borrow, so carry is set
dn_s2hi: sbc SQ2HI,y
        tay
        lda DN_T
        adc dn_acc0-1,x         ; acc += x'*w' + 1 (the set carry is the +1)
        sta dn_acc0-1,x
        tya
        adc dn_acc1-1,x
        sta dn_acc1-1,x
        bcc dn_nocarry
        inc dn_acc2-1,x
        clc
dn_nocarry:
        dex
        bne dn_inner
        ldy dn_i
        jmp dn_skip

        .align 64
dn_lvl:
dn_lvv: ldy $FFFF,x             ; v' of level X
dn_t1lo: lda SQ1LO,y
dn_t2lo: sbc SQ2LO,y
        sta dn_ptlo,x
dn_t1hi: lda SQ1HI,y
dn_t2hi: sbc SQ2HI,y            ; no borrow: carry stays set
        sta dn_pthi,x
        dex
        bne dn_lvl
        ldx dn_nout
        clc
dn_ptin:
dn_ptw: ldy $FFFF,x             ; the level of w[i][x-1] (1..L)
        lda dn_ptlo,y           ; acc += x'*v' + 1
        adc dn_acc0-1,x
        sta dn_acc0-1,x
        lda dn_pthi,y
        adc dn_acc1-1,x
        sta dn_acc1-1,x
        bcc dn_ptnc
        inc dn_acc2-1,x
        clc
dn_ptnc:
        dex
        bne dn_ptin
        ldy dn_i
        jmp dn_skip

dn_in = dn_ldx+1                ; these parameters are operands of the row code
dn_nin = dn_cpy+1
dn_mask = dn_eor+1
dn_w:    .res 2
dn_c:    .res 2
dn_lv:   .res 2
dn_nout: .res 1
dn_k0:   .res 1
dn_k1:   .res 1
dn_k2:   .res 1
dn_i:    .res 1
dn_save: .res 1
