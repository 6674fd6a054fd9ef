; layer.s - one layer's parameters for dense.s and activate.s, from its descriptor
;
; What it does
;   The compiler emits one descriptor per layer in a table, c64ml_layers
;   (c64ml/backend6502/codegen.py), and calls ly_set with the descriptor's offset in X.
;   ly_set copies the descriptor into the parameters dense.s and activate.s read, in
;   this order (offset: field):
;      0 dn_in (2)    2 dn_w (2)     4 dn_c (2)     6 dn_nin    7 dn_mask
;      8 dn_nout     9 ac_out (2)   11 ac_kind
;     12 ac_lo (2)   14 ac_hi (2)   16 ac_m (2)    18 ac_s (2)   20 ac_tab (2)   22 ac_th (2)
;   and stops after ac_kind when it is not 0 (step and sign use nothing after it), so such
;   a descriptor may end there: 12 bytes, else 24.
;   Two later entries skip the first fields:
;     ly_set_w    from dn_w: layer 0, whose dn_in the caller sets from c64ml_inptr
;     ly_set_act  from dn_nout: an unrolled layer, which needs only activate.s's fields
;
; Inputs:    X  the offset of the descriptor in c64ml_layers (the table is at most 256
;               bytes)
; Outputs:   dn_in .. dn_mask (dense.s) and dn_nout, ac_out, ac_kind and, for ac_kind 0,
;            ac_lo .. ac_th (activate.s), as listed above.
; Clobbers:  A, flags. X and Y are preserved. No self-modifying code.
; Zero page: none
; Cycles:    including the RTS, excluding the caller's JSR (checked in
;            tests/test_runtime_layer.py): 8 per byte copied, plus 1 for each read that
;            crosses a page, plus the test of ac_kind and the RTS: ly_set 200 (ac_kind 0)
;            or 105, ly_set_w 184 (ac_kind 0) or 89, ly_set_act 136 (ac_kind 0) or 41.
;            The generated code's ldx # and JSR add 8.
; Requires:  dense.s, activate.s
; Imports:   c64ml_layers, dn_acc0, dn_acc1, dn_acc2, dn_ptlo, dn_pthi

ly_set:
        lda c64ml_layers+0,x
        sta dn_in
        lda c64ml_layers+1,x
        sta dn_in+1
ly_set_w:
        lda c64ml_layers+2,x
        sta dn_w
        lda c64ml_layers+3,x
        sta dn_w+1
        lda c64ml_layers+4,x
        sta dn_c
        lda c64ml_layers+5,x
        sta dn_c+1
        lda c64ml_layers+6,x
        sta dn_nin
        lda c64ml_layers+7,x
        sta dn_mask
ly_set_act:
        lda c64ml_layers+8,x
        sta dn_nout
        lda c64ml_layers+9,x
        sta ac_out
        lda c64ml_layers+10,x
        sta ac_out+1
        lda c64ml_layers+11,x
        sta ac_kind
        bne ly_done             ; step and sign: the descriptor ends here
        lda c64ml_layers+12,x
        sta ac_lo
        lda c64ml_layers+13,x
        sta ac_lo+1
        lda c64ml_layers+14,x
        sta ac_hi
        lda c64ml_layers+15,x
        sta ac_hi+1
        lda c64ml_layers+16,x
        sta ac_m
        lda c64ml_layers+17,x
        sta ac_m+1
        lda c64ml_layers+18,x
        sta ac_s
        lda c64ml_layers+19,x
        sta ac_s+1
        lda c64ml_layers+20,x
        sta ac_tab
        lda c64ml_layers+21,x
        sta ac_tab+1
        lda c64ml_layers+22,x
        sta ac_th
        lda c64ml_layers+23,x
        sta ac_th+1
ly_done:
        rts
