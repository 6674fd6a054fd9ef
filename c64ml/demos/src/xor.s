; xor.s - the XOR demo: the truth table with the MLP's and the perceptron's answers
;
; What it does
;   For each of the four rows (A, B) it runs the MLP (c64ml_infer) and the
;   single-layer perceptron (a second compiled routine, XR_P_INFER) and prints
;   A, B, A XOR B and both answers, marking wrong ones with '*'; then how many
;   each got right. Any key returns to BASIC.
;
; Inputs (from the generated header, c64ml/demos/builders.py)
;   xr_rows: 4 records of 7 bytes: A, B, A XOR B, the MLP's two input bytes,
;   the perceptron's two input bytes. XR_P_INFER, XR_P_IN, XR_P_CLASS: the
;   perceptron routine's entry, input buffer and class byte.
;
; Zero page: none of its own.

xr_main:
        jsr dm_init
        lda #<xr_s_title
        ldx #>xr_s_title
        jsr pr_str
        lda #0
        sta xr_i
        sta xr_mlp_ok
        sta xr_p_ok
@row:   lda xr_i                ; X = the record's offset, i * 7
        asl a
        asl a
        asl a
        sec
        sbc xr_i
        tax
        stx xr_off
        lda #' '
        jsr DM_CHROUT
        lda xr_rows,x
        ora #'0'
        jsr DM_CHROUT
        lda #' '
        jsr DM_CHROUT
        jsr DM_CHROUT
        ldx xr_off
        lda xr_rows+1,x
        ora #'0'
        jsr DM_CHROUT
        lda #<xr_s_gap
        ldx #>xr_s_gap
        jsr pr_str
        ldx xr_off
        lda xr_rows+2,x
        ora #'0'
        jsr DM_CHROUT
        lda #<xr_s_gap
        ldx #>xr_s_gap
        jsr pr_str
        ldx xr_off              ; the MLP
        lda xr_rows+3,x
        sta c64ml_in
        lda xr_rows+4,x
        sta c64ml_in+1
        jsr c64ml_infer
        lda c64ml_class
        ldy #xr_mlp_ok-xr_i
        jsr xr_answer
        lda #<xr_s_gap
        ldx #>xr_s_gap
        jsr pr_str
        ldx xr_off              ; the perceptron
        lda xr_rows+5,x
        sta XR_P_IN
        lda xr_rows+6,x
        sta XR_P_IN+1
        jsr XR_P_INFER
        lda XR_P_CLASS
        ldy #xr_p_ok-xr_i
        jsr xr_answer
        lda #13
        jsr DM_CHROUT
        inc xr_i
        lda xr_i
        cmp #4
        beq @sum
        jmp @row
@sum:   lda #<xr_s_mlp
        ldx #>xr_s_mlp
        jsr pr_str
        lda xr_mlp_ok
        jsr pr_u8
        lda #<xr_s_of4
        ldx #>xr_s_of4
        jsr pr_str
        lda #<xr_s_perc
        ldx #>xr_s_perc
        jsr pr_str
        lda xr_p_ok
        jsr pr_u8
        lda #<xr_s_of4
        ldx #>xr_s_of4
        jsr pr_str
        lda #<xr_s_end
        ldx #>xr_s_end
        jsr pr_str
        jsr dm_key
        jmp dm_quit

; Prints the answer in A ('*' after it when it differs from A XOR B) and counts
; a right one in the counter at xr_i + Y.
xr_answer:
        pha
        ora #'0'
        jsr DM_CHROUT
        pla
        ldx xr_off
        cmp xr_rows+2,x
        bne @wrong
        lda xr_i,y
        clc
        adc #1
        sta xr_i,y
        lda #' '
        jmp DM_CHROUT
@wrong: lda #'*'
        jmp DM_CHROUT

xr_s_title:
        .byte 147, 5, "C64ML XOR: TWO NETWORKS, ONE TABLE", 154, 13, 13
        .byte " A  B   XOR   MLP   PERCEPTRON", 13, 0
xr_s_gap:  .byte "     ", 0
xr_s_mlp:  .byte 13, "MLP        RIGHT: ", 0
xr_s_perc: .byte "PERCEPTRON RIGHT: ", 0
xr_s_of4:  .byte " OF 4", 13, 0
xr_s_end:
        .byte 13, "* = WRONG. NO SINGLE LINE SEPARATES", 13
        .byte "XOR, SO A PERCEPTRON CANNOT GET ALL 4.", 13, 13
        .byte "PRESS ANY KEY FOR BASIC.", 13, 0
dm_s_bye:  .byte "C64ML XOR DEMO ENDED.", 13, 0
xr_i:      .byte 0
xr_mlp_ok: .byte 0
xr_p_ok:   .byte 0
xr_off:    .byte 0
