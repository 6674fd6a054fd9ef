; digits.s - the digits demo: a slideshow of test digits and a drawing pad
;
; What it does
;   A menu offers 1 (slideshow), 2 (draw a digit) and Q (back to BASIC).
;   Slideshow: each embedded test digit is drawn as an 8x8 block picture (two
;   characters per pixel, four shades), classified by c64ml_infer, and shown
;   with the prediction, the true label, the running count of right answers,
;   and the cycles and milliseconds of the inference measured with the CIA2
;   timer (wall clock, KERNAL interrupt included; ms for the PAL clock,
;   985,248 Hz). SPACE or RETURN shows the next digit, M goes to the menu.
;   Draw: an 8x8 grid; the cursor keys move, SPACE paints or erases a pixel
;   (pixel value 16, input byte 255), C clears, RETURN classifies: the answer
;   and the three highest scores (output bytes) are printed below the grid.
;
; Inputs (constants and labels from the generated header, c64ml/demos/builders.py)
;   DG_N samples of DG_RECSIZE bytes at dg_samples: the label, then 64 input bytes.
;   DG_SIGNED: 1 when the output scores are signed bytes.
;   dg_s_model: a 0-terminated line naming the model.
;
; Zero page: none of its own ($FB is used and restored by c64ml_infer).

DG_TOP = 2                      ; screen row of the picture's first line
DG_LEFT = 2                     ; its first column
DG_TEXT = 21                    ; column of the text beside it
DG_COLOUR = $D800 - $0400       ; colour RAM minus screen RAM

dg_main:
        jsr dm_init
        jsr tm_calibrate
        lda #0
        sta dg_cur_r
        sta dg_cur_c
dg_menu:
        lda #<dg_s_menu
        ldx #>dg_s_menu
        jsr pr_str
        lda #<dg_s_model
        ldx #>dg_s_model
        jsr pr_str
        lda #<dg_s_menu2
        ldx #>dg_s_menu2
        jsr pr_str
@key:   jsr dm_key
        cmp #'1'
        beq dg_slides
        cmp #'2'
        bne @q
        jmp dg_draw_mode
@q:     cmp #'Q'
        beq @quit
        cmp #3
        bne @key
@quit:  jmp dm_quit

; ---- slideshow ---------------------------------------------------------------
dg_slides:
        lda #0
        sta dg_i
        sta dg_right
        lda #<dg_samples
        sta dg_rec
        lda #>dg_samples
        sta dg_rec+1
dg_show:
        lda #<dg_s_slide
        ldx #>dg_s_slide
        jsr pr_str
        clc                     ; layer 0 reads the record's pixels in place
        lda dg_rec
        adc #1
        sta c64ml_inptr
        sta dg_src
        lda dg_rec+1
        adc #0
        sta c64ml_inptr+1
        sta dg_src+1
        jsr tm_start
        jsr c64ml_infer
        jsr tm_stop
        jsr dg_shades_photo
        jsr dg_picture
        lda dg_rec              ; the label
        sta @lab+1
        lda dg_rec+1
        sta @lab+2
@lab:   lda $FFFF               ; patched
        sta dg_label
        cmp c64ml_class
        bne @wrong
        inc dg_right
@wrong: ldx #DG_TOP
        ldy #DG_TEXT
        jsr dm_at
        lda #<dg_s_sample
        ldx #>dg_s_sample
        jsr pr_str
        ldx dg_i
        inx
        txa
        jsr pr_u8
        lda #'/'
        jsr DM_CHROUT
        lda #DG_N
        jsr pr_u8
        ldx #DG_TOP+2
        ldy #DG_TEXT
        jsr dm_at
        lda #<dg_s_says
        ldx #>dg_s_says
        jsr pr_str
        lda c64ml_class
        jsr pr_u8
        ldx #DG_TOP+3
        ldy #DG_TEXT
        jsr dm_at
        lda #<dg_s_true
        ldx #>dg_s_true
        jsr pr_str
        lda dg_label
        jsr pr_u8
        lda dg_label
        cmp c64ml_class
        beq @ok
        lda #<dg_s_wrong
        ldx #>dg_s_wrong
        jmp @mark
@ok:    lda #<dg_s_ok
        ldx #>dg_s_ok
@mark:  jsr pr_str
        ldx #DG_TOP+5
        ldy #DG_TEXT
        jsr dm_at
        lda #<dg_s_right
        ldx #>dg_s_right
        jsr pr_str
        lda dg_right
        jsr pr_u8
        lda #'/'
        jsr DM_CHROUT
        ldx dg_i
        inx
        txa
        jsr pr_u8
        ldx #DG_TOP+7
        ldy #DG_TEXT
        jsr dm_at
        lda #<dg_s_cycles
        ldx #>dg_s_cycles
        jsr pr_str
        ldx #3
@cp:    lda tm_cycles,x
        sta pr_num,x
        dex
        bpl @cp
        jsr pr_u32
        ldx #DG_TOP+8
        ldy #DG_TEXT
        jsr dm_at
        jsr dg_print_ms
        lda #<dg_s_keys
        ldx #>dg_s_keys
        jsr pr_str
@key:   jsr dm_key
        cmp #' '
        beq @next
        cmp #13
        beq @next
        cmp #'M'
        bne @q
        jmp dg_menu
@q:     cmp #'Q'
        beq @quit
        cmp #3
        bne @key
@quit:  jmp dm_quit
@next:  inc dg_i
        lda dg_i
        cmp #DG_N
        bne @adv
        jmp dg_slides           ; from the first digit again
@adv:   clc
        lda dg_rec
        adc #DG_RECSIZE
        sta dg_rec
        bcc @go
        inc dg_rec+1
@go:    jmp dg_show

; Prints tm_cycles as milliseconds with one decimal for the PAL clock:
; tenths = (cycles * 625 + 30789) / 61578, as 10000 / 985248 = 625 / 61578.
dg_print_ms:
        ldx #3
@cp:    lda tm_cycles,x
        sta pr_num,x
        dex
        bpl @cp
        jsr dg_mul5
        jsr dg_mul5
        jsr dg_mul5
        jsr dg_mul5
        clc
        lda pr_num
        adc #<30789
        sta pr_num
        lda pr_num+1
        adc #>30789
        sta pr_num+1
        bcc @div
        inc pr_num+2
        bne @div
        inc pr_num+3
@div:   lda #<61578
        sta pr_den
        lda #>61578
        sta pr_den+1
        jsr pr_div
        lda #10
        sta pr_den
        lda #0
        sta pr_den+1
        jsr pr_div
        lda #<dg_s_time
        ldx #>dg_s_time
        jsr pr_str
        jsr pr_u32
        lda #'.'
        jsr DM_CHROUT
        lda pr_rem
        ora #'0'
        jsr DM_CHROUT
        lda #<dg_s_ms
        ldx #>dg_s_ms
        jmp pr_str

dg_mul5:                        ; pr_num *= 5 (x * 4 + x)
        ldx #3
@cp:    lda pr_num,x
        sta dg_t,x
        dex
        bpl @cp
        ldy #2
@sh:    asl pr_num
        rol pr_num+1
        rol pr_num+2
        rol pr_num+3
        dey
        bne @sh
        clc
        ldx #0
@add:   lda pr_num,x
        adc dg_t,x
        sta pr_num,x
        inx
        txa
        eor #4
        bne @add
        rts

; ---- the picture ---------------------------------------------------------------
; Draws the 64 bytes at dg_src as 8 rows of 8 pixels, two characters a pixel,
; through the shade tables dg_tch (screen code) and dg_tcol (colour), indexed by
; byte / 64.
dg_picture:
        lda dg_src
        sta @src+1
        lda dg_src+1
        sta @src+2
        ldx #0
@row:   stx dg_r
        txa
        clc
        adc #DG_TOP
        tax
        clc
        lda dm_rowlo,x
        adc #DG_LEFT
        sta @s1+1
        sta @s2+1
        sta @c1+1
        sta @c2+1
        lda dm_rowhi,x
        adc #0
        sta @s1+2
        sta @s2+2
        clc
        adc #>DG_COLOUR
        sta @c1+2
        sta @c2+2
        ldy #0
@src:   lda $FFFF               ; patched: the next pixel
        inc @src+1
        bne @lvl
        inc @src+2
@lvl:   lsr a
        lsr a
        lsr a
        lsr a
        lsr a
        lsr a
        tax
        lda dg_tch,x
@s1:    sta $FFFF,y             ; patched: the row's screen address
        lda dg_tcol,x
@c1:    sta $FFFF,y             ; patched: its colour RAM address
        iny
        lda dg_tch,x
@s2:    sta $FFFF,y
        lda dg_tcol,x
@c2:    sta $FFFF,y
        iny
        cpy #16
        bne @src
        ldx dg_r
        inx
        cpx #8
        bne @row
        rts

dg_shades_photo:                ; shades for test digits: blank, checker, block, white block
        ldx #3
@cp:    lda dg_photo_ch,x
        sta dg_tch,x
        lda dg_photo_col,x
        sta dg_tcol,x
        dex
        bpl @cp
        rts

dg_shades_grid:                 ; shades for the drawing pad: dot, block
        ldx #3
@cp:    lda dg_grid_ch,x
        sta dg_tch,x
        lda dg_grid_col,x
        sta dg_tcol,x
        dex
        bpl @cp
        rts

; ---- drawing pad ----------------------------------------------------------------
dg_draw_mode:
        ldx #63
        lda #0
@clr:   sta dg_grid,x
        dex
        bpl @clr
        lda #<dg_s_draw
        ldx #>dg_s_draw
        jsr pr_str
        lda #20
        sta dm_msgrow
dg_redraw:
        lda #<dg_grid
        sta dg_src
        lda #>dg_grid
        sta dg_src+1
        jsr dg_shades_grid
        jsr dg_picture
        lda dg_cur_r            ; the cursor: yellow, '+' on an empty pixel
        clc
        adc #DG_TOP
        tax
        lda dg_cur_c
        asl a
        adc #DG_LEFT
        adc dm_rowlo,x
        sta @s+1
        sta @c+1
        lda dm_rowhi,x
        adc #0
        sta @s+2
        adc #>DG_COLOUR
        sta @c+2
        jsr dg_cell
        lda dg_grid,x
        beq @empty
        lda #$A0
        bne @put
@empty: lda #'+'
@put:   ldy #1
@s:     sta $FFFF,y             ; patched
        dey
        bpl @s
        lda #7
        ldy #1
@c:     sta $FFFF,y             ; patched
        dey
        bpl @c
@key:   jsr dm_key
        cmp #17                 ; cursor down
        bne @up
        inc dg_cur_r
        jmp @wrap
@up:    cmp #145
        bne @right
        dec dg_cur_r
        jmp @wrap
@right: cmp #29
        bne @left
        inc dg_cur_c
        jmp @wrap
@left:  cmp #157
        bne @space
        dec dg_cur_c
@wrap:  lda dg_cur_r
        and #7
        sta dg_cur_r
        lda dg_cur_c
        and #7
        sta dg_cur_c
        jmp dg_redraw
@space: cmp #' '
        bne @clear
        jsr dg_cell
        lda dg_grid,x
        eor #$FF
        sta dg_grid,x
        jmp dg_redraw
@clear: cmp #'C'
        bne @ret
        jmp dg_draw_mode
@ret:   cmp #13
        bne @menu
        jsr dg_classify
        jmp dg_redraw
@menu:  cmp #'M'
        bne @q
        lda #24
        sta dm_msgrow
        jmp dg_menu
@q:     cmp #'Q'
        beq @quit
        cmp #3
        bne @key
@quit:  jmp dm_quit

dg_cell:                        ; X = the cursor's pixel index, row * 8 + column
        lda dg_cur_r
        asl a
        asl a
        asl a
        ora dg_cur_c
        tax
        rts

; Classifies dg_grid; prints the answer and the three highest scores on rows 12-16.
dg_classify:
        lda #<dg_grid
        sta c64ml_inptr
        lda #>dg_grid
        sta c64ml_inptr+1
        jsr tm_start
        jsr c64ml_infer
        jsr tm_stop
        ldx #12
        ldy #20
        jsr dm_blank
        ldx #12
        ldy #0
        jsr dm_at
        lda #<dg_s_itis
        ldx #>dg_s_itis
        jsr pr_str
        lda c64ml_class
        jsr pr_u8
        lda #<dg_s_top
        ldx #>dg_s_top
        jsr pr_str
        ldx #9                  ; scores as unsigned keys: signed bytes get bit 7 flipped
@key:   lda c64ml_out,x
        eor #DG_SIGNED*$80
        sta dg_score,x
        lda #0
        sta dg_used,x
        dex
        bpl @key
        lda #'1'
        sta dg_rank
@rank:  ldx #0                  ; the highest unused score, the lowest index on ties
        ldy #$FF
@find:  lda dg_used,x
        bne @nextc
        cpy #$FF
        beq @take
        lda dg_score,x
        cmp dg_best
        bcc @nextc
        beq @nextc
@take:  txa
        tay
        lda dg_score,x
        sta dg_best
@nextc: inx
        cpx #10
        bne @find
        lda #1
        sta dg_used,y
        sty dg_k
        lda #' '                ; "  1. DIGIT 7  SCORE -12"
        jsr DM_CHROUT
        jsr DM_CHROUT
        lda dg_rank
        jsr DM_CHROUT
        lda #<dg_s_digit
        ldx #>dg_s_digit
        jsr pr_str
        lda dg_k
        jsr pr_u8
        lda #<dg_s_score
        ldx #>dg_s_score
        jsr pr_str
        ldx dg_k
        lda c64ml_out,x
        ldy #DG_SIGNED
        beq @pos
        tay
        bpl @pos
        lda #'-'
        jsr DM_CHROUT
        tya
        eor #$FF
        clc
        adc #1
@pos:   jsr pr_u8
        lda #13
        jsr DM_CHROUT
        inc dg_rank
        lda dg_rank
        cmp #'4'
        bne @rank
        ldx #17
        ldy #0
        jsr dm_at
        jsr dg_print_ms
        rts

; ---- data ---------------------------------------------------------------------------
dg_photo_ch:  .byte $20, $66, $A0, $A0
dg_photo_col: .byte 12, 12, 15, 1
dg_grid_ch:   .byte $2E, $2E, $A0, $A0
dg_grid_col:  .byte 15, 15, 1, 1
dg_s_menu:
        .byte 147, 5, "C64ML DIGITS DEMO", 13, 154, 0
dg_s_menu2:
        .byte 13, 13, "  1  SLIDESHOW OF TEST DIGITS", 13, 13
        .byte "  2  DRAW A DIGIT YOURSELF", 13, 13
        .byte "  Q  QUIT TO BASIC", 13, 13, 13
        .byte "PRESS 1, 2 OR Q", 0
dg_s_slide:
        .byte 147, 5, "DIGITS SLIDESHOW", 154, 0
dg_s_sample:  .byte "DIGIT ", 0
dg_s_says:    .byte "C64 SAYS ", 0
dg_s_true:    .byte "TRUE     ", 0
dg_s_ok:      .byte "  RIGHT", 0
dg_s_wrong:   .byte "  WRONG", 0
dg_s_right:   .byte "RIGHT ", 0
dg_s_cycles:  .byte "CYCLES ", 0
dg_s_time:    .byte "TIME ", 0
dg_s_ms:      .byte " MS PAL", 0
dg_s_keys:
        .byte 19, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17
        .byte "(CIA2 TIMER, 985248 HZ, IRQ INCLUDED)", 13, 13, 13, 13, 13, 13, 13, 13, 13, 13
        .byte "SPACE: NEXT   M: MENU   Q: QUIT", 0
dg_s_draw:
        .byte 147, 5, "DRAW A DIGIT", 154, 19, 17, 17
        .byte 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29
        .byte "CURSOR KEYS: MOVE", 13
        .byte 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29
        .byte "SPACE: PAINT/ERASE", 13
        .byte 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29
        .byte "RETURN: CLASSIFY", 13
        .byte 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29
        .byte "C: CLEAR", 13
        .byte 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29
        .byte "M: MENU  Q: QUIT", 0
dg_s_itis:    .byte "IT IS A ", 0
dg_s_top:     .byte 13, "TOP SCORES (OUTPUT BYTES):", 13, 0
dg_s_digit:   .byte ". DIGIT ", 0
dg_s_score:   .byte "  SCORE ", 0
dm_s_bye:     .byte "C64ML DIGITS DEMO ENDED.", 13, 0
dg_i:     .byte 0
dg_right: .byte 0
dg_label: .byte 0
dg_rec:   .res 2
dg_src:   .res 2
dg_r:     .byte 0
dg_t:     .res 4
dg_tch:   .res 4
dg_tcol:  .res 4
dg_cur_r: .byte 0
dg_cur_c: .byte 0
dg_rank:  .byte 0
dg_best:  .byte 0
dg_k:     .byte 0
dg_score: .res 10
dg_used:  .res 10
dg_grid:  .res 64
