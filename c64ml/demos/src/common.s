; common.s - pieces every c64ml demo uses: keys, cursor, messages, digits-only line input
;
; What it does
;   dm_key waits for a key (KERNAL GETIN) and returns it in A (never 0).
;   dm_at moves the cursor to row X, column Y (KERNAL PLOT).
;   dm_msg prints the 0-terminated string at A/X (low/high) on row dm_msgrow,
;   after blanking that row, and puts the cursor back where it was.
;   dm_blank fills screen rows X .. Y-1 with spaces (screen RAM stores, no
;   CHROUT, so nothing ever scrolls).
;   dm_quit returns to BASIC from any depth: it clears the screen, prints
;   dm_s_bye, restores the stack pointer saved by dm_init and returns.
;   li_read reads a number of at most li_max digits (1..4): digits are echoed,
;   DEL takes the last one back, RETURN ends the input, Q or RUN/STOP quits
;   (carry set); any other key, or a digit beyond li_max, leaves the input
;   unchanged and shows dm_s_digits on the message row. An '_' marks where the
;   next digit goes.
;
; Inputs
;   dm_init: call first, from the program's entry (saves SP for dm_quit).
;   dm_msgrow: the message row (0..24). li_max: 1..4.
;
; Outputs
;   li_read: carry clear, li_len = digits typed (0: empty input), li_val
;   (2 bytes) = their value; carry set: Q or RUN/STOP pressed.
;
; Clobbers
;   A, X, Y, flags. No zero page (the KERNAL's own use aside).

DM_CHROUT = $FFD2
DM_GETIN = $FFE4
DM_PLOT = $FFF0
DM_SCREEN = $0400

dm_init:
        tsx
        inx                     ; the SP before the caller's JSR to dm_init
        inx
        stx dm_sp
        rts

dm_quit:
        lda #147
        jsr DM_CHROUT
        lda #<dm_s_bye
        ldx #>dm_s_bye
        jsr pr_str
        ldx dm_sp
        txs
        rts                     ; to BASIC, from the program's first level

dm_key:
@wait:  jsr DM_GETIN
        cmp #0
        beq @wait
        rts

dm_at:
        clc
        jmp DM_PLOT

dm_blank:                       ; rows X .. Y-1 to spaces
        sty dm_t
@row:   cpx dm_t
        bcs @done
        lda dm_rowlo,x
        sta @st+1
        lda dm_rowhi,x
        sta @st+2
        ldy #39
        lda #' '
@st:    sta $FFFF,y             ; patched: the row's address
        dey
        bpl @st
        inx
        bne @row
@done:  rts

dm_msg:
        sta dm_mp
        stx dm_mp+1
        sec
        jsr DM_PLOT             ; where the cursor is now
        stx dm_cur
        sty dm_cur+1
        ldx dm_msgrow
        ldy dm_msgrow
        iny
        jsr dm_blank
        ldx dm_msgrow
        ldy #0
        jsr dm_at
        lda dm_mp
        ldx dm_mp+1
        jsr pr_str
        ldx dm_cur
        ldy dm_cur+1
        jmp dm_at

li_read:
        lda #0
        sta li_len
        sta li_val
        sta li_val+1
        jsr @mark
@key:   jsr dm_key
        cmp #13
        beq @ret
        cmp #20                 ; DEL
        beq @del
        cmp #'Q'
        beq @quit
        cmp #3                  ; RUN/STOP
        beq @quit
        cmp #'0'
        bcc @bad
        cmp #'9'+1
        bcs @bad
        ldx li_len
        cpx li_max
        bcs @bad
        sta li_buf,x
        inc li_len
        jsr DM_CHROUT
        jsr @mark
        jmp @key
@del:   ldx li_len
        beq @key
        dec li_len
        lda #' '                ; erase the mark, step back onto the last digit
        jsr DM_CHROUT
        lda #157
        jsr DM_CHROUT
        jsr DM_CHROUT
        jsr @mark
        jmp @key
@bad:   lda #<dm_s_digits
        ldx #>dm_s_digits
        jsr dm_msg
        jmp @key
@quit:  sec
        rts
@ret:   lda #' '                ; erase the mark
        jsr DM_CHROUT
        ldx #0
@val:   cpx li_len              ; li_val = li_val * 10 + digit
        beq @done
        lda li_val
        sta dm_t
        lda li_val+1
        sta dm_t+1
        asl li_val
        rol li_val+1
        asl li_val
        rol li_val+1
        clc
        lda li_val
        adc dm_t
        sta li_val
        lda li_val+1
        adc dm_t+1
        sta li_val+1
        asl li_val
        rol li_val+1
        lda li_buf,x
        and #$0F
        clc
        adc li_val
        sta li_val
        bcc @nc
        inc li_val+1
@nc:    inx
        bne @val
@done:  clc
        rts
@mark:  lda #18                 ; the mark under the cursor: a reverse space
        jsr DM_CHROUT
        lda #' '
        jsr DM_CHROUT
        lda #146
        jsr DM_CHROUT
        lda #157
        jmp DM_CHROUT

dm_rowlo:
        .byte <(DM_SCREEN+0*40), <(DM_SCREEN+1*40), <(DM_SCREEN+2*40), <(DM_SCREEN+3*40)
        .byte <(DM_SCREEN+4*40), <(DM_SCREEN+5*40), <(DM_SCREEN+6*40), <(DM_SCREEN+7*40)
        .byte <(DM_SCREEN+8*40), <(DM_SCREEN+9*40), <(DM_SCREEN+10*40), <(DM_SCREEN+11*40)
        .byte <(DM_SCREEN+12*40), <(DM_SCREEN+13*40), <(DM_SCREEN+14*40), <(DM_SCREEN+15*40)
        .byte <(DM_SCREEN+16*40), <(DM_SCREEN+17*40), <(DM_SCREEN+18*40), <(DM_SCREEN+19*40)
        .byte <(DM_SCREEN+20*40), <(DM_SCREEN+21*40), <(DM_SCREEN+22*40), <(DM_SCREEN+23*40)
        .byte <(DM_SCREEN+24*40)
dm_rowhi:
        .byte >(DM_SCREEN+0*40), >(DM_SCREEN+1*40), >(DM_SCREEN+2*40), >(DM_SCREEN+3*40)
        .byte >(DM_SCREEN+4*40), >(DM_SCREEN+5*40), >(DM_SCREEN+6*40), >(DM_SCREEN+7*40)
        .byte >(DM_SCREEN+8*40), >(DM_SCREEN+9*40), >(DM_SCREEN+10*40), >(DM_SCREEN+11*40)
        .byte >(DM_SCREEN+12*40), >(DM_SCREEN+13*40), >(DM_SCREEN+14*40), >(DM_SCREEN+15*40)
        .byte >(DM_SCREEN+16*40), >(DM_SCREEN+17*40), >(DM_SCREEN+18*40), >(DM_SCREEN+19*40)
        .byte >(DM_SCREEN+20*40), >(DM_SCREEN+21*40), >(DM_SCREEN+22*40), >(DM_SCREEN+23*40)
        .byte >(DM_SCREEN+24*40)
dm_s_digits:
        .byte "TYPE DIGITS 0-9 (DEL, RETURN)", 0
dm_sp:  .byte 0
dm_msgrow: .byte 24
dm_mp:  .res 2
dm_t:   .res 2
dm_cur: .res 2
li_max: .byte 3
li_len: .byte 0
li_val: .res 2
li_buf: .res 4
