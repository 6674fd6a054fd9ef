; learnapp.s - a C64 program that learns by itself (c64ml learn -o NAME.prg)
;
; The generated header defines LA_N (samples), LA_ROWS (inputs + 1), LA_EPOCHS, LA_SEED,
; LA_RULE, LA_K, LA_M (units); the generated data are la_rec (per sample: the class,
; then LA_ROWS input bytes, the last 255), la_ord (the address of each record's input
; bytes, 2 bytes each) and la_w (the weights, all 0). Per epoch the program shuffles
; la_ord with the xorshift of semantics §9.4, runs lr_sample on every sample in that
; order and prints the epoch, its errors (wrong predictions before the update) and its
; cycles (CIA2's timer: wall-clock, interrupts included). Then it returns to BASIC.

la_main:
        jsr tm_calibrate
        lda #<la_title
        ldx #>la_title
        jsr pr_str
        lda #<LA_SEED
        sta sh_state
        lda #>LA_SEED
        sta sh_state+1
        lda #<la_ord
        sta sh_ord
        lda #>la_ord
        sta sh_ord+1
        lda #<LA_N
        sta sh_n
        lda #>LA_N
        sta sh_n+1
        lda #<la_w
        sta lr_wp
        lda #>la_w
        sta lr_wp+1
        lda #LA_ROWS
        sta lr_rows
        lda #LA_M
        sta lr_m
        lda #LA_RULE
        sta lr_rule
        lda #LA_K
        sta lr_k
        lda #0
        sta la_epoch
la_next:
        jsr tm_start
        jsr sh_shuffle
        lda #0
        sta la_err
        sta la_err+1
        lda #<la_ord
        sta la_rd+1
        lda #>la_ord
        sta la_rd+2
        lda #<LA_N
        sta la_left
        lda #>LA_N
        sta la_left+1
la_samp:
        ldy #0
la_rd:  lda $FFFF,y             ; the record's input address from the order
        sta lr_xp
        iny
        jsr la_rd_hi
        sta lr_xp+1
        ; the class is the byte before the inputs
        lda lr_xp
        sec
        sbc #1
        sta la_lab+1
        lda lr_xp+1
        sbc #0
        sta la_lab+2
la_lab: lda $FFFF
        sta lr_label
        jsr lr_sample
        lda lr_pred
        cmp lr_label
        beq @right
        inc la_err
        bne @right
        inc la_err+1
@right: clc
        lda la_rd+1
        adc #2
        sta la_rd+1
        bcc @nc
        inc la_rd+2
@nc:    lda la_left
        bne @dec
        dec la_left+1
@dec:   dec la_left
        lda la_left
        ora la_left+1
        bne la_samp
        jsr tm_stop
        ; "EPOCH  n ERRORS   e CYCLES  c"
        inc la_epoch
        lda #<la_s_ep
        ldx #>la_s_ep
        jsr pr_str
        lda #3
        sta pr_width
        lda la_epoch
        jsr pr_u8
        lda #<la_s_err
        ldx #>la_s_err
        jsr pr_str
        lda #5
        sta pr_width
        lda la_err
        ldx la_err+1
        jsr pr_u16
        lda #<la_s_cyc
        ldx #>la_s_cyc
        jsr pr_str
        ldx #3
@cp:    lda tm_cycles,x
        sta pr_num,x
        dex
        bpl @cp
        lda #9
        sta pr_width
        jsr pr_u32
        lda #13
        jsr $FFD2
        lda la_epoch
        cmp #LA_EPOCHS
        beq la_end
        jmp la_next
la_end: lda #<la_s_done
        ldx #>la_s_done
        jsr pr_str
        rts

la_rd_hi:                       ; A = the order entry's high byte (Y = 1)
        lda la_rd+1
        sta @ld+1
        lda la_rd+2
        sta @ld+2
@ld:    lda $FFFF,y
        rts

la_epoch:   .res 1
la_err:     .res 2
la_left:    .res 2
la_s_ep:    .byte "EPOCH", 0
la_s_err:   .byte " ERRORS", 0
la_s_cyc:   .byte " CYCLES", 0
la_s_done:  .byte "DONE.", 13, 0
