; learn.s - the classroom demo: the C64 learns a perceptron live on points in a plane
;
; What it does
;   Rows 0-19 are a plane of 40 x 20 cells. The class puts points of class A
;   (light red), B (light green) and C (light blue) on it with the cursor keys
;   and A / B / C (two classes: one unit, acc >= 0 gives B; the first C point
;   switches to one unit per class, weights reset, the highest score wins); L runs
;   one epoch of the perceptron rule (runtime6502/learn.s, docs/semantics.md §9)
;   over the points in the order of shuffle.s, SPACE runs ten. After each
;   epoch the plane is repainted by the learned rule: a cell is shaded in the
;   colour of the class the perceptron gives it, so the decision boundary is
;   where the shading changes. Row 20 shows the epoch, that epoch's errors and
;   the mean cycles per sample (lr_sample, timed with CIA2); row 21 the weights;
;   rows 22-23 the lesson; row 24 the keys. 1, 2 and 3 load AND, OR and XOR
;   (four corner points: left/right is input 1 = 0/1, bottom/top input 2), N
;   clears, Q quits to BASIC.
;
; Inputs (the generated header, c64ml/demos/learn.py)
;   DL_K (the rate), DL_SEED (the first xorshift state), DL_LOGMAX;
;   dl_xb / dl_yb: the input bytes of each column and row.
;   After every sample the nine weight bytes (dl_w; 3 used with one unit) are
;   appended to dl_logbuf (at most DL_LOGMAX samples, counted in dl_log), which
;   the tests compare with the reference.
;
; Zero page: none of its own.

DL_SCREEN = $0400
DL_COLOUR = $D800
DL_MAXPTS = 64

dl_main:
        tsx                     ; the SP BASIC's SYS left, for Q
        stx dl_sp
        jsr tm_calibrate
        lda #0
        sta $D021
        lda #11
        sta $D020
        lda #1
        sta $0286               ; white text
        lda #147
        jsr $FFD2
        lda #0
        sta dl_cx
        sta dl_cy
        sta dl_log
        sta dl_log+1
        lda #<dl_logbuf
        sta dl_lp+1
        lda #>dl_logbuf
        sta dl_lp+2
        jsr dl_clear
        lda #<dl_s_hello
        ldx #>dl_s_hello
        jsr dl_msg
dl_loop:
        jsr $FFE4
        cmp #0
        beq dl_loop
        cmp #$91
        beq dl_up
        cmp #$11
        beq dl_down
        cmp #$9D
        beq dl_left
        cmp #$1D
        beq dl_right
        cmp #'A'
        beq dl_adda
        cmp #'B'
        beq dl_addb
        cmp #'L'
        beq dl_one
        cmp #' '
        beq dl_ten
        cmp #'C'
        beq dl_addc
        cmp #'N'
        beq dl_clr
        cmp #'1'
        bcc dl_loop
        cmp #'4'
        bcc dl_gate
        cmp #'Q'
        bne dl_loop
        jmp dl_quit
dl_up:  ldx dl_cy
        beq dl_loop
        jsr dl_uncursor
        dec dl_cy
        jmp dl_moved
dl_down:
        ldx dl_cy
        cpx #19
        beq dl_loop
        jsr dl_uncursor
        inc dl_cy
        jmp dl_moved
dl_left:
        ldx dl_cx
        beq dl_loop
        jsr dl_uncursor
        dec dl_cx
        jmp dl_moved
dl_right:
        ldx dl_cx
        cpx #39
        beq dl_loop
        jsr dl_uncursor
        inc dl_cx
dl_moved:
        jsr dl_cursor
        jmp dl_loop
dl_adda:
        lda #0
        beq dl_add
dl_addb:
        lda #1
        bne dl_add
dl_addc:
        lda #2
dl_add: jsr dl_point
        jsr dl_cursor
        jsr dl_status
        jmp dl_loop
dl_one: lda #1
        bne dl_run
dl_ten: lda #10
dl_run: sta dl_todo
@ep:    jsr dl_learn1
        bcs @stop               ; no points
        dec dl_todo
        bne @ep
@stop:  jmp dl_loop
dl_clr: jsr dl_clear
        lda #<dl_s_clear
        ldx #>dl_s_clear
        jsr dl_msg
        jmp dl_loop
dl_gate:
        and #3                  ; '1'..'3' -> 1..3
        sta dl_gatenum
        jsr dl_clear
        lda dl_gatenum
        sta dl_preset
        asl
        asl                     ; the gate's 4 labels at dl_gates + 4*(g-1)
        tax
        lda dl_gates-4,x
        sta dl_glab
        lda dl_gates-3,x
        sta dl_glab+1
        lda dl_gates-2,x
        sta dl_glab+2
        lda dl_gates-1,x
        sta dl_glab+3
        lda dl_cx
        sta dl_savex
        lda dl_cy
        sta dl_savey
        ldx #0
@pt:    stx dl_gi
        lda dl_gx,x
        sta dl_cx
        lda dl_gy,x
        sta dl_cy
        lda dl_glab,x
        jsr dl_point
        ldx dl_gi
        inx
        cpx #4
        bne @pt
        lda dl_savex
        sta dl_cx
        lda dl_savey
        sta dl_cy
        jsr dl_cursor
        jsr dl_status
        lda dl_gatenum
        asl
        tax
        lda dl_gmsg-2,x
        pha
        lda dl_gmsg-1,x
        tax
        pla
        jsr dl_msg
        jmp dl_loop

dl_quit:
        lda #147
        jsr $FFD2
        lda #<dl_s_bye
        ldx #>dl_s_bye
        jsr pr_str
        ldx dl_sp
        txs
        rts

; ---- state ------------------------------------------------------------------------------

dl_clear:                       ; no points, zero weights, epoch 0, the PRNG reseeded
        lda #0
        sta dl_npts
        sta dl_epoch
        sta dl_epoch+1
        sta dl_errs
        sta dl_preset
        sta dl_sum
        sta dl_sum+1
        sta dl_sum+2
        sta dl_sum+3
        sta dl_cnt
        sta dl_cnt+1
        ldx #8
@w0:    sta dl_w,x
        dex
        bpl @w0
        ldx #1
        stx dl_units
        lda #<DL_SEED
        sta sh_state
        lda #>DL_SEED
        sta sh_state+1
        ldx #0
        txa
@pm:    sta dl_pmap,x
        sta dl_pmap+256,x
        sta dl_pmap+512,x
        sta dl_pmap+544,x
        inx
        bne @pm
        jsr dl_paint
        jsr dl_cursor
        jsr dl_status
        lda #<dl_s_keys
        ldx #>dl_s_keys
        ldy #24
        jmp dl_text

dl_point:                       ; add a point of class A (A = 0) or B (A = 1) at the cursor
        ldx dl_npts
        cpx #DL_MAXPTS
        bcc @room
        lda #<dl_s_full
        ldx #>dl_s_full
        jmp dl_msg
@room:  sta dl_lab
        cmp #2
        bne @two
        lda dl_units
        cmp #1
        bne @two
        lda #3                  ; the first point of class C: one score per class
        sta dl_units
        lda #0
        ldx #8
@wz:    sta dl_w,x
        dex
        bpl @wz
        lda #<dl_s_three
        ldx #>dl_s_three
        jsr dl_msg
        jsr dl_paint
        jsr dl_cursor
        ldx dl_npts
@two:
        txa                     ; record address = dl_pts + 4 * n
        asl
        asl
        clc
        adc #<dl_pts
        sta @st+1
        lda #0
        adc #>dl_pts
        sta @st+2
        ldy #0
        lda dl_lab
        jsr @st
        ldx dl_cx
        lda dl_xb,x
        iny
        jsr @st
        ldx dl_cy
        lda dl_yb,x
        iny
        jsr @st
        lda #255
        iny
        jsr @st
        lda dl_npts             ; order[n] = the record's input bytes (record + 1)
        asl
        tax
        lda @st+1
        clc
        adc #1
        sta dl_ord,x
        lda @st+2
        adc #0
        sta dl_ord+1,x
        inc dl_npts
        ldx dl_cy               ; the point map, and the cell
        jsr dl_rowptr
        ldy dl_cx
        ldx dl_lab
        inx
        txa
        jsr dl_pmw
        jmp dl_cell
@st:    sta $FFFF,y
        rts

; ---- one epoch --------------------------------------------------------------------------

dl_learn1:                      ; carry set (and a message) if there are no points
        lda dl_npts
        bne @go
        lda #<dl_s_empty
        ldx #>dl_s_empty
        jsr dl_msg
        sec
        rts
@go:    lda #<dl_ord
        sta sh_ord
        lda #>dl_ord
        sta sh_ord+1
        lda dl_npts
        sta sh_n
        lda #0
        sta sh_n+1
        jsr sh_shuffle
        lda #<dl_w
        sta lr_wp
        lda #>dl_w
        sta lr_wp+1
        lda #3
        sta lr_rows
        lda dl_units
        sta lr_m
        lda #0
        sta lr_rule
        sta dl_errs
        sta dl_t
        lda #DL_K
        sta lr_k
@samp:  lda dl_t
        asl
        tax
        lda dl_ord,x
        sta lr_xp
        sec
        sbc #1
        sta @lab+1
        lda dl_ord+1,x
        sta lr_xp+1
        sbc #0
        sta @lab+2
@lab:   lda $FFFF
        sta lr_label
        jsr tm_start
        jsr lr_sample
        jsr tm_stop
        ldx #0                  ; sum += cycles, count += 1
        clc
@add:   lda dl_sum,x
        adc tm_cycles,x
        sta dl_sum,x
        inx
        txa
        eor #4
        bne @add
        inc dl_cnt
        bne @c1
        inc dl_cnt+1
@c1:    lda lr_pred
        cmp lr_label
        beq @right
        inc dl_errs
@right: jsr dl_logw
        inc dl_t
        lda dl_t
        cmp dl_npts
        bne @samp
        inc dl_epoch
        bne @e1
        inc dl_epoch+1
@e1:    jsr dl_paint
        jsr dl_cursor
        jsr dl_status
        jsr dl_lesson
        clc
        rts

dl_logw:                        ; append the three weights to the log while it has room
        lda dl_log+1
        cmp #>DL_LOGMAX
        bcc dl_lroom
        bne dl_lfull
        lda dl_log
        cmp #<DL_LOGMAX
        bcs dl_lfull
dl_lroom:
        ldx #0
dl_lb:  lda dl_w,x
dl_lp:  sta $FFFF
        inc dl_lp+1
        bne dl_lnc
        inc dl_lp+2
dl_lnc: inx
        cpx #9
        bne dl_lb
        inc dl_log
        bne dl_lfull
        inc dl_log+1
dl_lfull:
        rts

dl_lesson:                      ; the message after an epoch
        lda dl_errs
        bne @wrong
        lda dl_units
        cmp #1
        bne @lines
        lda #<dl_s_learned
        ldx #>dl_s_learned
        jmp dl_msg
@lines: lda #<dl_s_learn3
        ldx #>dl_s_learn3
        jmp dl_msg
@wrong: lda dl_epoch+1
        bne @long
        lda dl_epoch
        cmp #20
        bcc @more
@long:  lda dl_preset
        cmp #3
        bne @nolin
        lda #<dl_s_xor
        ldx #>dl_s_xor
        jmp dl_msg
@nolin: lda #<dl_s_noline
        ldx #>dl_s_noline
        jmp dl_msg
@more:  lda #<dl_s_more
        ldx #>dl_s_more
        jmp dl_msg

; ---- drawing ----------------------------------------------------------------------------

dl_rowptr:                      ; patch the cell operands for row X (0..19)
        lda dl_r40lo,x
        clc
        adc #<DL_SCREEN
        sta dl_scrw+1
        lda dl_r40hi,x
        adc #>DL_SCREEN
        sta dl_scrw+2
        lda dl_r40lo,x
        clc
        adc #<DL_COLOUR
        sta dl_colw+1
        lda dl_r40hi,x
        adc #>DL_COLOUR
        sta dl_colw+2
        lda dl_r40lo,x
        clc
        adc #<dl_pmap
        sta dl_pmr+1
        sta dl_pmw+1
        lda dl_r40hi,x
        adc #>dl_pmap
        sta dl_pmr+2
        sta dl_pmw+2
        lda dl_r40lo,x
        clc
        adc #<dl_rmap
        sta dl_rmr+1
        sta dl_rmw+1
        lda dl_r40hi,x
        adc #>dl_rmap
        sta dl_rmr+2
        sta dl_rmw+2
        rts

dl_cell:                        ; draw cell Y of the row dl_rowptr chose; keeps Y
        jsr dl_pmr
        beq dl_region
        tax
        lda dl_ptcol-1,x
        jsr dl_colw
        lda #$51                ; a ball
        jmp dl_scrw
dl_region:
        jsr dl_rmr
        tax
        lda dl_rgcol,x
        jsr dl_colw
        lda #$66                ; a checkerboard
        jmp dl_scrw
; the cell accessors, their operands patched by dl_rowptr (Y = the column)
dl_pmr: lda $FFFF,y
        rts
dl_pmw: sta $FFFF,y
        rts
dl_rmr: lda $FFFF,y
        rts
dl_rmw: sta $FFFF,y
        rts
dl_colw: sta $FFFF,y
        rts
dl_scrw: sta $FFFF,y
        rts

dl_cursor:
        ldx dl_cy
        jsr dl_rowptr
        ldy dl_cx
        lda #1
        jsr dl_colw
        lda #$2B                ; '+'
        jmp dl_scrw

dl_uncursor:
        ldx dl_cy
        jsr dl_rowptr
        ldy dl_cx
        jmp dl_cell

dl_paint:                       ; every cell by the class the weights give it
        ldx #0                  ; per unit u: bias*255 and the column step 6*w_x
@unit:  stx dl_u
        txa
        clc
        adc dl_units
        adc dl_units            ; w_bias of unit u: dl_w + 2m + u
        tax
        lda dl_w,x
        ldy #255
        jsr dl_smul
        ldx dl_u
        lda dl_p0
        sta dl_bs0,x
        lda dl_p1
        sta dl_bs1,x
        lda dl_p2
        sta dl_bs2,x
        lda dl_w,x              ; w_x of unit u
        ldy #6
        jsr dl_smul
        ldx dl_u
        lda dl_p0
        sta dl_st0,x
        lda dl_p1
        sta dl_st1,x
        lda dl_p2
        sta dl_st2,x
        inx
        cpx dl_units
        bne @unit
        lda #0
        sta dl_row
dl_prow:
        ldx dl_row
        jsr dl_rowptr
        ldx #0                  ; acc[u] = w_y*yb + bias*255 + w_x*xb[0]
@ru:    stx dl_u
        txa
        clc
        adc dl_units
        tax
        lda dl_w,x
        ldx dl_row
        ldy dl_yb,x
        jsr dl_smul
        ldx dl_u
        clc
        lda dl_p0
        adc dl_bs0,x
        sta dl_ac0,x
        lda dl_p1
        adc dl_bs1,x
        sta dl_ac1,x
        lda dl_p2
        adc dl_bs2,x
        sta dl_ac2,x
        lda dl_w,x
        ldy dl_xb
        jsr dl_smul
        ldx dl_u
        clc
        lda dl_p0
        adc dl_ac0,x
        sta dl_ac0,x
        lda dl_p1
        adc dl_ac1,x
        sta dl_ac1,x
        lda dl_p2
        adc dl_ac2,x
        sta dl_ac2,x
        inx
        cpx dl_units
        bne @ru
        ldy #0
dl_pcell:
        jsr dl_decide
        jsr dl_rmw
        jsr dl_cell
        ldx #0                  ; acc[u] += step[u]
@adv:   clc
        lda dl_ac0,x
        adc dl_st0,x
        sta dl_ac0,x
        lda dl_ac1,x
        adc dl_st1,x
        sta dl_ac1,x
        lda dl_ac2,x
        adc dl_st2,x
        sta dl_ac2,x
        inx
        cpx dl_units
        bne @adv
        iny
        cpy #40
        bne dl_pcell
        inc dl_row
        lda dl_row
        cmp #20
        beq @done
        jmp dl_prow
@done:  rts

dl_decide:                      ; A = the class of the cell (one unit: acc >= 0 gives B;
        lda dl_units            ; three: the first maximal score); keeps Y
        cmp #1
        bne @many
        lda dl_ac2
        asl
        lda #0
        rol
        eor #1
        rts
@many:  sty dl_ysv
        ldy #0                  ; Y = the best so far
        ldx #1
@cmp:   sec                     ; best - acc[x] < 0 (signed 24-bit) means acc[x] > best
        lda dl_ac0,y
        sbc dl_ac0,x
        lda dl_ac1,y
        sbc dl_ac1,x
        lda dl_ac2,y
        sbc dl_ac2,x
        bvc @nv
        eor #$80
@nv:    bpl @keep
        txa
        tay
@keep:  inx
        cpx dl_units
        bne @cmp
        tya
        ldy dl_ysv
        rts

dl_smul:                        ; dl_p0..2 = A (signed) * Y (unsigned), 24 bits
        sta dl_sg
        ora #0
        bpl @pos
        eor #$FF
        clc
        adc #1                  ; |A| (128 for -128)
@pos:   jsr mul8
        lda mul8_lo
        sta dl_p0
        lda mul8_hi
        sta dl_p1
        lda #0
        sta dl_p2
        lda dl_sg
        bpl @done
        sec                     ; negate
        lda #0
        sbc dl_p0
        sta dl_p0
        lda #0
        sbc dl_p1
        sta dl_p1
        lda #0
        sbc dl_p2
        sta dl_p2
@done:  rts

; ---- text -------------------------------------------------------------------------------

dl_at:  clc                     ; cursor to row X, column Y
        jmp $FFF0

dl_status:
        ldx #20
        jsr dl_blank
        ldx #20
        ldy #0
        jsr dl_at
        lda #<dl_s_epoch
        ldx #>dl_s_epoch
        jsr pr_str
        lda #4
        sta pr_width
        lda dl_epoch
        ldx dl_epoch+1
        jsr pr_u16
        lda #<dl_s_errs
        ldx #>dl_s_errs
        jsr pr_str
        lda #3
        sta pr_width
        lda dl_errs
        jsr pr_u8
        lda #<dl_s_cyc
        ldx #>dl_s_cyc
        jsr pr_str
        ldx #3                  ; the mean: sum / count (0 before any sample)
@cp:    lda dl_sum,x
        sta pr_num,x
        dex
        bpl @cp
        lda dl_cnt
        ora dl_cnt+1
        beq @zero
        lda dl_cnt
        sta pr_den
        lda dl_cnt+1
        sta pr_den+1
        jsr pr_div
@zero:  lda #6
        sta pr_width
        jsr pr_u32
        ldx #21
        jsr dl_blank
        ldx #21
        ldy #0
        jsr dl_at
        lda dl_units
        cmp #1
        bne dl_st3
        lda #<dl_s_w
        ldx #>dl_s_w
        jsr pr_str
        lda dl_w
        jsr dl_s8
        lda #<dl_s_wy
        ldx #>dl_s_wy
        jsr pr_str
        lda dl_w+1
        jsr dl_s8
        lda #<dl_s_wb
        ldx #>dl_s_wb
        jsr pr_str
        lda dl_w+2
        jsr dl_s8
        lda #<dl_s_pts
        ldx #>dl_s_pts
        jsr pr_str
        lda #3
        sta pr_width
        lda dl_npts
        jmp pr_u8
dl_st3: lda #0                  ; three units: "A" x y bias, "B" ..., "C" ...
        sta dl_u
@unit:  lda #18                 ; the class letter in reverse video
        jsr $FFD2
        lda dl_u
        clc
        adc #'A'
        jsr $FFD2
        lda #146
        jsr $FFD2
        ldx dl_u
        lda dl_w,x
        jsr dl_s8
        lda dl_u
        clc
        adc #3
        tax
        lda dl_w,x
        jsr dl_s8
        lda dl_u
        clc
        adc #6
        tax
        lda dl_w,x
        jsr dl_s8
        inc dl_u
        lda dl_u
        cmp #3
        bne @unit
        rts

dl_s8:                          ; A as a signed number, right-aligned in 4 characters
        ldx #' '
        ora #0
        bpl @pos
        eor #$FF
        clc
        adc #1
        ldx #'-'
@pos:   sta dl_mag
        stx dl_sgn
        cmp #100                ; pad to 3 digits
        bcs @sign
        lda #' '
        jsr $FFD2
        lda dl_mag
        cmp #10
        bcs @sign
        lda #' '
        jsr $FFD2
@sign:  lda dl_sgn
        jsr $FFD2
        lda #0
        sta pr_width
        lda dl_mag
        jmp pr_u8

dl_blank:                       ; row X to spaces (screen RAM; white)
        lda dl_r40lo,x
        clc
        adc #<DL_SCREEN
        sta @st+1
        lda dl_r40hi,x
        adc #>DL_SCREEN
        sta @st+2
        ldy #39
        lda #' '
@st:    sta $FFFF,y
        dey
        bpl @st
        rts

dl_msg:                         ; two lines (rows 22 and 23) from A/X: "line 1", 13, "line 2", 0
        sta dl_mp
        stx dl_mp+1
        ldx #22
        jsr dl_blank
        ldx #23
        jsr dl_blank
        lda dl_mp
        ldx dl_mp+1
        ldy #22
        jsr dl_text
        lda dl_tp+1             ; after the 13: the second line
        ldx dl_tp+2
        ldy #23
        jmp dl_text

dl_text:                        ; the string at A/X into row Y (screen codes), up to 0 or 13
        sta dl_tp+1
        stx dl_tp+2
        lda dl_r40lo,y
        clc
        adc #<DL_SCREEN
        sta dl_tst+1
        lda dl_r40hi,y
        adc #>DL_SCREEN
        sta dl_tst+2
        ldy #0
dl_tp:  lda $FFFF
        beq dl_tend
        cmp #13
        beq dl_tend
        cmp #$40                ; PETSCII letters to screen codes
        bcc dl_tst
        sbc #$40
dl_tst: sta $FFFF,y
        iny
        inc dl_tp+1
        bne dl_tp
        inc dl_tp+2
        bne dl_tp
dl_tend:
        inc dl_tp+1             ; past the terminator
        bne dl_tr
        inc dl_tp+2
dl_tr:  rts

; ---- data -------------------------------------------------------------------------------

dl_ptcol:  .byte 10, 13, 14     ; points: light red (A), light green (B), light blue (C)
dl_rgcol:  .byte 2, 5, 6        ; regions: red (A), green (B), blue (C)
dl_gx:     .byte 4, 4, 35, 35   ; the gates' corners: (0,0), (0,1), (1,0), (1,1)
dl_gy:     .byte 15, 4, 15, 4
dl_gates:  .byte 0, 0, 0, 1     ; AND
           .byte 0, 1, 1, 1     ; OR
           .byte 0, 1, 1, 0     ; XOR
dl_gmsg:   .word dl_s_and, dl_s_or, dl_s_xorq
dl_r40lo:
        .byte <0, <40, <80, <120, <160, <200, <240, <280, <320, <360, <400, <440, <480
        .byte <520, <560, <600, <640, <680, <720, <760, <800, <840, <880, <920, <960
dl_r40hi:
        .byte >0, >40, >80, >120, >160, >200, >240, >280, >320, >360, >400, >440, >480
        .byte >520, >560, >600, >640, >680, >720, >760, >800, >840, >880, >920, >960
dl_s_hello: .byte "ADD POINTS (A B C) OR PRESS 1, 2, 3 FOR", 13
            .byte "AND, OR, XOR. THEN L LEARNS AN EPOCH.", 0
dl_s_clear: .byte "CLEARED: WEIGHTS 0, EPOCH 0.", 13, 0
dl_s_full:  .byte "64 POINTS: THE MOST THIS DEMO HOLDS.", 13, 0
dl_s_empty: .byte "NO POINTS YET: ADD SOME WITH A AND B.", 13, 0
dl_s_and:   .byte "AND: B ONLY WHEN BOTH INPUTS ARE 1", 13
            .byte "(TOP RIGHT). PRESS L OR SPACE.", 0
dl_s_or:    .byte "OR: B WHEN EITHER INPUT IS 1.", 13
            .byte "PRESS L OR SPACE TO LEARN.", 0
dl_s_xorq:  .byte "XOR: B WHEN THE INPUTS DIFFER. CAN ONE", 13
            .byte "PERCEPTRON LEARN IT? PRESS SPACE.", 0
dl_s_learned: .byte "NO ERRORS: ONE STRAIGHT LINE SPLITS", 13
            .byte "THE CLASSES, AND THE C64 FOUND ONE.", 0
dl_s_learn3: .byte "NO ERRORS: STRAIGHT LINES SPLIT THE", 13
            .byte "THREE CLASSES, AND THE C64 FOUND THEM.", 0
dl_s_more:  .byte "STILL ERRORS. L OR SPACE LEARNS MORE.", 13, 0
dl_s_xor:   .byte "XOR NEVER LEARNED: NO STRAIGHT LINE PUTS", 13
            .byte "01,10 ON ONE SIDE, 00,11 ON THE OTHER.", 0
dl_s_noline: .byte "STILL ERRORS AFTER 20 EPOCHS: MAYBE NO", 13
            .byte "STRAIGHT LINE SPLITS THESE POINTS.", 0
dl_s_keys:  .byte "CRSR A B C:ADD L:LEARN SPC:X10 123 N Q", 0
dl_s_three: .byte "CLASS C: NOW ONE SCORE PER CLASS, THE", 13
            .byte "HIGHEST WINS. WEIGHTS START AT 0 AGAIN.", 0
dl_s_epoch: .byte "EPOCH", 0
dl_s_errs:  .byte " ERR", 0
dl_s_cyc:   .byte " CYC/SAMPLE", 0
dl_s_w:     .byte "W X", 0
dl_s_wy:    .byte " Y", 0
dl_s_wb:    .byte " BIAS", 0
dl_s_pts:   .byte "  POINTS", 0
dl_s_bye:   .byte "C64ML LEARN DEMO ENDED.", 13, 0
dl_sp:      .byte 0
dl_cx:      .byte 0
dl_cy:      .byte 0
dl_npts:    .byte 0
dl_lab:     .byte 0
dl_todo:    .byte 0
dl_gatenum: .byte 0
dl_preset:  .byte 0
dl_glab:    .res 4
dl_gi:      .byte 0
dl_savex:   .byte 0
dl_savey:   .byte 0
dl_epoch:   .res 2
dl_errs:    .byte 0
dl_t:       .byte 0
dl_sum:     .res 4
dl_cnt:     .res 2
dl_log:     .res 2              ; samples logged
dl_w:       .res 9              ; rows x, y, bias of dl_units bytes each (lr_sample's)
dl_units:   .byte 1
dl_u:       .byte 0
dl_ysv:     .byte 0
dl_bs0:     .res 3
dl_bs1:     .res 3
dl_bs2:     .res 3
dl_st0:     .res 3
dl_st1:     .res 3
dl_st2:     .res 3
dl_ac0:     .res 3
dl_ac1:     .res 3
dl_ac2:     .res 3
dl_row:     .byte 0
dl_sg:      .byte 0
dl_mag:     .byte 0
dl_sgn:     .byte 0
dl_p0:      .byte 0
dl_p1:      .byte 0
dl_p2:      .byte 0
dl_mp:      .res 2
dl_pts:     .res 4 * DL_MAXPTS
dl_ord:     .res 2 * DL_MAXPTS
dl_pmap:    .res 800
dl_rmap:    .res 800
dl_logbuf:  .res 9 * DL_LOGMAX
