; app.s - the app-mode driver: run the model on every embedded sample, check, time and print
;
; What it does
;   Clears the screen, prints the title and column heads, calibrates the CIA2
;   timer, then for each record at app_samples: points c64ml_inptr at the
;   record's input bytes, times c64ml_infer with tm_start/tm_stop (less the 6
;   cycles of the JSR), keeps the sum, minimum and maximum, compares the output
;   bytes with the record's expected ones and prints a line: the sample number,
;   then the predicted class and the label (argmax models) or the first output
;   bytes in hex (scores models), and the marks. Then the summary: samples,
;   accuracy (labelled argmax models), reference mismatches, cycles min, mean
;   and max. Returns to BASIC, or with --vice-exit writes the mismatch count to
;   $D7FF. docs/app.md describes the screen.
;
;   c64ml/backend6502/app.py assembles the program from the parts below (each
;   begins at a line ';; part NAME'), picking those the model and options need,
;   in this order: start, [memory_plan.bank_out], main, then either prediction,
;   class_name or class_number, [label, class_name or class_number, label_check]
;   or scores, [scores_more]; then next, [accuracy], summary,
;   [memory_plan.bank_back], [vice_exit], end, the generated class names and
;   strings, data. The generated source has no conditional assembly, so it exports
;   to ACME, 64tass and ca65 as it is.
;
; Inputs:    the equates app.py writes before this file:
;              APP_COUNT        samples embedded (1..65535)
;              APP_RECORD       bytes per record: [label], expected outputs, inputs
;              APP_EXPECTED     offset of the expected output bytes in a record
;              APP_INPUT        offset of the input bytes in a record
;              APP_OUT_LAST     the model's output bytes - 1
;              APP_DIGITS       width of the sample number
;              APP_CLASS_WIDTH  width of a class printed as a number
;              APP_SHOWN        output bytes a scores line shows in hex
;              APP_MARK_WRONG, APP_MARK_BUG  the marks' characters
;            and the records at app_samples, the 0-terminated strings
;            app_s_title and app_s_samples, the class name tables app_cn_lo and
;            app_cn_hi (part class_name only).
; Outputs:   the lines on the screen (CHROUT); $D7FF = mismatches (part vice_exit).
; Clobbers:  A, X, Y, flags; CIA2 timers A and B; $01 while it runs with BASIC
;            banked out (restored).
; Zero page: none
; Cycles:    only the inference is timed. The driver's own, measured on the iris example
;            with the IRQ off (CHROUT's time excluded): about 1,400 before the first
;            sample, 1,700 to 2,400 a sample, 11,500 to 17,500 for the summary.
; Requires:  print.s, timer.s
; Imports:   APP_COUNT, APP_RECORD, APP_EXPECTED, APP_INPUT, APP_OUT_LAST,
;            APP_DIGITS, APP_CLASS_WIDTH, APP_SHOWN, APP_MARK_WRONG, APP_MARK_BUG,
;            app_samples, app_s_title, app_s_samples, app_cn_lo, app_cn_hi,
;            c64ml_infer, c64ml_inptr, c64ml_out, c64ml_class

;; part start
APP_CHROUT = $FFD2

c64ml_start:                    ; SYS 2061 (memory_plan.bank_out follows when needed)

;; part main
app_main:
        lda #147                ; clear the screen
        jsr APP_CHROUT
        lda #<app_s_title
        ldx #>app_s_title
        jsr pr_str
        jsr tm_calibrate
        ldx #15                 ; the 16 bytes from app_vars to 0
        lda #0
@clr:   sta app_vars,x
        dex
        bpl @clr
        lda #$FF
        ldx #3
@min:   sta app_min,x
        dex
        bpl @min
        lda #<app_samples
        sta app_rec
        lda #>app_samples
        sta app_rec+1
app_loop:
        lda app_n
        cmp #<APP_COUNT
        bne app_one
        lda app_n+1
        cmp #>APP_COUNT
        bne app_one
        jmp app_done
app_one:
        clc                     ; layer 0 reads the record's input bytes in place
        lda app_rec
        adc #APP_INPUT
        sta c64ml_inptr
        lda app_rec+1
        adc #0
        sta c64ml_inptr+1
        jsr tm_start
        jsr c64ml_infer
        jsr tm_stop
        sec                     ; cycles = tm_cycles - the JSR; sum, min, max
        ldx #0
@sub:   lda tm_cycles,x
        sbc app_jsr,x
        sta app_cyc,x
        inx
        txa
        eor #4
        bne @sub
        clc
        ldx #0
@add:   lda app_sum,x
        adc app_cyc,x
        sta app_sum,x
        inx
        txa
        eor #4
        bne @add
        bcc @nov
        inc app_ovf
@nov:   sec                     ; min: cyc < min?
        ldx #0
@cmn:   lda app_cyc,x
        sbc app_min,x
        inx
        txa
        eor #4
        bne @cmn
        bcs @nomin
        ldx #3
@smn:   lda app_cyc,x
        sta app_min,x
        dex
        bpl @smn
@nomin: sec                     ; max: cyc >= max?
        ldx #0
@cmx:   lda app_cyc,x
        sbc app_max,x
        inx
        txa
        eor #4
        bne @cmx
        bcc @nomax
        ldx #3
@smx:   lda app_cyc,x
        sta app_max,x
        dex
        bpl @smx
@nomax: clc                     ; the expected output bytes of this record
        lda app_rec
        adc #APP_EXPECTED
        sta app_exp+1
        lda app_rec+1
        adc #0
        sta app_exp+2
        lda #0
        sta app_diff
        ldy #APP_OUT_LAST
app_cmp: lda c64ml_out,y
app_exp: cmp $FFFF,y            ; patched
        beq @same
        inc app_diff
@same:  dey
        cpy #$FF
        bne app_cmp
        lda app_diff
        beq @ok
        inc app_bad
        bne @ok
        inc app_bad+1
@ok:    inc app_n               ; print the sample's number, 1-based
        bne @num
        inc app_n+1
@num:   lda #APP_DIGITS
        sta pr_width
        lda app_n
        ldx app_n+1
        jsr pr_u16
        lda #' '
        jsr APP_CHROUT

;; part prediction
        lda c64ml_class         ; argmax models: the class, then class_name or _number

;; part class_name
        tay                     ; print the class in A as its name (padded)
        lda app_cn_lo,y
        ldx app_cn_hi,y
        jsr pr_str

;; part class_number
        lda #APP_CLASS_WIDTH    ; print the class in A as a number (padded)
        sta pr_width
        jsr pr_u8

;; part label
        lda #' '                ; labelled samples: the label, then class_name or _number
        jsr APP_CHROUT
        lda app_rec
        sta app_lab+1
        lda app_rec+1
        sta app_lab+2
app_lab: lda $FFFF              ; patched: the record's label
        pha

;; part label_check
app_check:
        pla
        cmp c64ml_class
        bne @wrong
        inc app_correct
        bne @marks
        inc app_correct+1
        jmp @marks
@wrong: lda #' '
        jsr APP_CHROUT
        lda #APP_MARK_WRONG
        jsr APP_CHROUT
@marks:

;; part scores
app_scores:                     ; scores models: the first APP_SHOWN output bytes in hex
        ldx #0
@hex:   stx app_i
        lda c64ml_out,x
        jsr pr_hex8
        lda #' '
        jsr APP_CHROUT
        ldx app_i
        inx
        cpx #APP_SHOWN
        bne @hex

;; part scores_more
        lda #'+'                ; more output bytes than shown
        jsr APP_CHROUT

;; part next
app_next:
        lda app_diff
        beq @eol
        lda #' '
        jsr APP_CHROUT
        lda #APP_MARK_BUG
        jsr APP_CHROUT
@eol:   lda #13
        jsr APP_CHROUT
        clc                     ; next record
        lda app_rec
        adc #<APP_RECORD
        sta app_rec
        lda app_rec+1
        adc #>APP_RECORD
        sta app_rec+1
        jmp app_loop

app_done:
        lda #<app_s_samples
        ldx #>app_s_samples
        jsr pr_str

;; part accuracy
app_accuracy:                   ; labelled argmax models: correct/samples = nn.n%
        lda #<app_s_acc
        ldx #>app_s_acc
        jsr pr_str
        lda #0
        sta pr_width
        lda app_correct
        ldx app_correct+1
        jsr pr_u16
        lda #'/'
        jsr APP_CHROUT
        lda #<APP_COUNT
        ldx #>APP_COUNT
        jsr pr_u16
        lda #<app_s_eq
        ldx #>app_s_eq
        jsr pr_str
        lda app_correct
        sta pr_num
        lda app_correct+1
        sta pr_num+1
        lda #0
        sta pr_num+2
        sta pr_num+3
        jsr app_mul10
        jsr app_mul10
        jsr app_mul10
        lda #<APP_COUNT
        sta pr_den
        lda #>APP_COUNT
        sta pr_den+1
        jsr pr_div              ; 1000 * correct / samples
        lda #10
        sta pr_den
        lda #0
        sta pr_den+1
        jsr pr_div
        jsr pr_u32
        lda #'.'
        jsr APP_CHROUT
        lda pr_rem
        ora #'0'
        jsr APP_CHROUT
        lda #'%'
        jsr APP_CHROUT
        lda #13
        jsr APP_CHROUT

;; part summary
app_summary:
        lda #<app_s_bad
        ldx #>app_s_bad
        jsr pr_str
        lda #0
        sta pr_width
        lda app_bad
        ldx app_bad+1
        jsr pr_u16
        lda #13
        jsr APP_CHROUT
        lda #<app_s_cyc
        ldx #>app_s_cyc
        jsr pr_str
        lda #<app_s_min
        ldx #>app_s_min
        jsr pr_str
        lda #0
        sta pr_width
        ldx #3
@cpm:   lda app_min,x
        sta pr_num,x
        dex
        bpl @cpm
        jsr pr_u32
        lda #13
        jsr APP_CHROUT
        lda #<app_s_mean
        ldx #>app_s_mean
        jsr pr_str
        lda app_ovf
        beq @mean
        lda #<app_s_ovf
        ldx #>app_s_ovf
        jsr pr_str
        jmp @max
@mean:  ldx #3
@cps:   lda app_sum,x
        sta pr_num,x
        dex
        bpl @cps
        lda #<APP_COUNT
        sta pr_den
        lda #>APP_COUNT
        sta pr_den+1
        jsr pr_div
        jsr pr_u32
@max:   lda #13
        jsr APP_CHROUT
        lda #<app_s_max
        ldx #>app_s_max
        jsr pr_str
        ldx #3
@cpx:   lda app_max,x
        sta pr_num,x
        dex
        bpl @cpx
        jsr pr_u32
        lda #13
        jsr APP_CHROUT

;; part vice_exit
app_exit:
        lda app_bad+1           ; exit code: mismatches, at most 255
        beq @low
        lda #$FF
        bne @exit
@low:   lda app_bad
@exit:  sta $D7FF               ; VICE -debugcart: exit with this status

;; part end
        rts

app_mul10:                      ; pr_num *= 10 (x*4 + x, then *2)
        ldx #3
@cp:    lda pr_num,x
        sta app_t,x
        dex
        bpl @cp
        asl pr_num
        rol pr_num+1
        rol pr_num+2
        rol pr_num+3
        asl pr_num
        rol pr_num+1
        rol pr_num+2
        rol pr_num+3
        clc
        ldx #0
@add:   lda pr_num,x
        adc app_t,x
        sta pr_num,x
        inx
        txa
        eor #4
        bne @add
        asl pr_num
        rol pr_num+1
        rol pr_num+2
        rol pr_num+3
        rts

;; part data
app_s_acc:
        .byte "ACCURACY ", 0
app_s_eq:
        .byte " = ", 0
app_s_bad:
        .byte "REFERENCE MISMATCHES ", 0
app_s_cyc:
        .byte "CYCLES PER INFERENCE (CIA2 TIMER,", 13, "IRQ TIME INCLUDED):", 13, 0
app_s_min:
        .byte "MIN  ", 0
app_s_mean:
        .byte "MEAN ", 0
app_s_max:
        .byte "MAX  ", 0
app_s_ovf:
        .byte "(SUM OVERFLOWED)", 0
app_jsr: .byte 6, 0, 0, 0       ; the JSR that calls c64ml_infer, not counted
app_save01: .byte $37           ; $01 before BASIC was banked out
app_vars:                       ; cleared at the start (16 bytes)
app_n:  .res 2                  ; samples done
app_correct: .res 2
app_bad: .res 2                 ; samples whose output bytes differ from the reference
app_sum: .res 4
app_max: .res 4
app_ovf: .res 1                 ; app_sum overflowed
app_diff: .res 1                ; output bytes of this sample that differ
app_min: .res 4
app_cyc: .res 4
app_t:  .res 4
app_rec: .res 2                 ; this record's address
app_i:  .res 1
