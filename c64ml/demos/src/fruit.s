; fruit.s - the fruit colours demo: type R, G and B, the C64 names the fruit
;
; What it does
;   Asks for red, green and blue (0-255 each, li_read: digits only, DEL,
;   RETURN; Q quits to BASIC). Empty input, values above 255 and R+G+B = 0
;   get a message on row FR_MSG and the question again. Then it turns each
;   value c into the input byte of the ratio c/(r+g+b) for input_range [0, 1]:
;       q = floor((510 * c + s) / (2 * s)),  s = r + g + b (1..765)
;   which equals docs/semantics.md section 1, floor(x * 255 + 0.5) with
;   x = c/s in IEEE double, for every 0 <= c <= s <= 765 (checked exhaustively
;   in tests/test_cli_demo.py), runs c64ml_infer and prints the input bytes
;   and the fruit's name.
;
; Inputs (from the generated header, c64ml/demos/builders.py)
;   FR_CLASSES names at fr_names_lo/fr_names_hi (0-terminated strings).
;
; Zero page: none of its own.

FR_MSG = 12                     ; message row

fr_main:
        jsr dm_init
        lda #FR_MSG
        sta dm_msgrow
        lda #3
        sta li_max
fr_again:
        lda #<fr_s_title
        ldx #>fr_s_title
        jsr pr_str
        ldx #0
@ask:   stx fr_k
        txa                     ; blank row 5 + k, then "RED   ? " and so on
        clc
        adc #5
        tax
        tay
        iny
        jsr dm_blank
        lda fr_k
        clc
        adc #5
        tax
        ldy #0
        jsr dm_at
        ldx fr_k
        lda fr_prompt_lo,x
        pha
        lda fr_prompt_hi,x
        tax
        pla
        jsr pr_str
        jsr li_read
        bcc @got
        jmp dm_quit
@got:   lda li_len
        bne @range
        lda #<fr_s_empty
        ldx #>fr_s_empty
        jmp @bad
@range: lda li_val+1
        beq @ok
        lda #<fr_s_range
        ldx #>fr_s_range
@bad:   jsr dm_msg
        ldx fr_k
        jmp @ask
@ok:    ldx fr_k
        lda li_val
        sta fr_rgb,x
        lda #<fr_s_clear        ; a good value clears the message row
        ldx #>fr_s_clear
        jsr dm_msg
        ldx fr_k
        inx
        cpx #3
        bne @ask
        lda #0                  ; s = r + g + b
        sta fr_s+1
        lda fr_rgb
        clc
        adc fr_rgb+1
        sta fr_s
        bcc @b
        inc fr_s+1
        clc
@b:     adc fr_rgb+2
        sta fr_s
        bcc @zero
        inc fr_s+1
@zero:  lda fr_s
        ora fr_s+1
        bne @ratios
        lda #<fr_s_zero
        ldx #>fr_s_zero
        jsr dm_msg
        ldx #0
        jmp @ask
@ratios:
        ldx #0
@q:     stx fr_k
        lda fr_rgb,x            ; pr_num = c * 512 - c * 2 + s
        sta pr_num+1
        lda #0
        sta pr_num
        sta pr_num+2
        sta pr_num+3
        asl pr_num+1
        rol pr_num+2
        lda fr_rgb,x
        asl a
        sta fr_t
        lda #0
        rol a
        sta fr_t+1
        sec
        lda pr_num
        sbc fr_t
        sta pr_num
        lda pr_num+1
        sbc fr_t+1
        sta pr_num+1
        lda pr_num+2
        sbc #0
        sta pr_num+2
        clc
        lda pr_num
        adc fr_s
        sta pr_num
        lda pr_num+1
        adc fr_s+1
        sta pr_num+1
        lda pr_num+2
        adc #0
        sta pr_num+2
        lda fr_s                ; pr_den = 2 * s
        asl a
        sta pr_den
        lda fr_s+1
        rol a
        sta pr_den+1
        jsr pr_div
        ldx fr_k
        lda pr_num
        sta c64ml_in,x
        inx
        cpx #3
        bne @q
        jsr c64ml_infer
        ldx #FR_MSG+2
        ldy #0
        jsr dm_at
        lda #<fr_s_bytes
        ldx #>fr_s_bytes
        jsr pr_str
        ldx #0
@pb:    stx fr_k
        lda #' '
        jsr DM_CHROUT
        ldx fr_k
        lda c64ml_in,x
        jsr pr_u8
        ldx fr_k
        inx
        cpx #3
        bne @pb
        lda #<fr_s_fruit
        ldx #>fr_s_fruit
        jsr pr_str
        ldy c64ml_class
        lda fr_names_lo,y
        ldx fr_names_hi,y
        jsr pr_str
        lda #<fr_s_next
        ldx #>fr_s_next
        jsr pr_str
@key:   jsr dm_key
        cmp #'Q'
        beq @quit
        cmp #3
        beq @quit
        jmp fr_again
@quit:  jmp dm_quit

fr_prompt_lo: .byte <fr_s_red, <fr_s_green, <fr_s_blue
fr_prompt_hi: .byte >fr_s_red, >fr_s_green, >fr_s_blue
fr_s_title:
        .byte 147, 5, "C64ML FRUIT COLOURS", 154, 13, 13
        .byte "TYPE RED, GREEN AND BLUE, EACH 0-255,", 13
        .byte "AND RETURN. DEL CORRECTS, Q QUITS.", 0
fr_s_red:   .byte "RED   ? ", 0
fr_s_green: .byte "GREEN ? ", 0
fr_s_blue:  .byte "BLUE  ? ", 0
fr_s_empty: .byte "TYPE A NUMBER FROM 0 TO 255", 0
fr_s_range: .byte "TOO BIG: 0 TO 255 ONLY", 0
fr_s_zero:  .byte "R+G+B IS 0, NO COLOUR: AGAIN", 0
fr_s_clear: .byte " ", 0
fr_s_bytes: .byte "INPUT BYTES (RATIOS):", 0
fr_s_fruit: .byte 13, 13, 5, "IT IS: ", 0
fr_s_next:  .byte 154, 13, 13, "ANY KEY: AGAIN   Q: QUIT", 0
dm_s_bye:   .byte "C64ML FRUIT DEMO ENDED.", 13, 0
fr_k:   .byte 0
fr_rgb: .res 3
fr_s:   .res 2
fr_t:   .res 2
