; shuffle.s - the 16-bit xorshift and the Fisher-Yates sample order (semantics §9.4)
;
; sh_next advances the xorshift state (7, 9, 8):
;   s ^= s << 7;  s ^= s >> 9;  s ^= s << 8   (16 bits)
; sh_shuffle permutes the 16-bit sample indices at sh_ord (count sh_n) in place:
; for i = n-1 down to 1, j = the first state drawn whose low bits (mask: the
; smallest 2^b - 1 >= i, found once and halved whenever i falls to half) are <= i,
; then swap entries i and j.
; The order's address is patched into the code: no zero page.
;
; Inputs:    sh_state (2 bytes, nonzero); sh_shuffle: sh_ord (2 bytes: address of
;            the order, 2 bytes an entry, little-endian), sh_n (2 bytes, 0..32767)
; Outputs:   sh_state advanced; the order permuted in place
; Clobbers:  A, X, Y, flags; the routine's scratch and patched operands
; Zero page: none
; Cycles:    sh_next 65 if bit 0 of the state is 0 (66 if that BEQ crosses a page),
;              66 if it is 1 (checked on all 65,535 states in tests/test_runtime_learn.py);
;            sh_shuffle about 500 + 230 per entry + 100 per draw (about 1.4 draws an
;              entry): measured 70 for n = 0, 39,983 for 100 entries, 374,048 for 1,000
; Requires:  none

sh_next:
        ; s ^= s << 7: high ^= (low << 7) | (high... ) computed as (s >> 1) byte-wise
        lda sh_state+1
        lsr                     ; carry = bit 8
        lda sh_state
        ror                     ; A = bits 8..1 = (s << 7) >> 8 (the new high byte's xor)
        eor sh_state+1
        sta sh_state+1
        lda sh_state
        and #1
        beq @lo0
        lda #$80
@lo0:   eor sh_state            ; low ^= bit0 << 7
        sta sh_state
        ; s ^= s >> 9: low ^= high >> 1
        lda sh_state+1
        lsr
        eor sh_state
        sta sh_state
        ; s ^= s << 8: high ^= low
        eor sh_state+1
        sta sh_state+1
        rts

sh_shuffle:
        lda sh_ord
        sta sh_rdi+1
        sta sh_rdj+1
        sta sh_wri+1
        sta sh_wrj+1
        lda sh_ord+1
        sta sh_rdi+2
        sta sh_rdj+2
        sta sh_wri+2
        sta sh_wrj+2
        ; i = n - 1
        sec
        lda sh_n
        sbc #1
        sta sh_i
        lda sh_n+1
        sbc #0
        sta sh_i+1
        bpl @some
        rts                     ; n = 0
@some:
        ; mask = smallest 2^b - 1 >= i (for the first i; later halved as i falls)
        lda sh_i
        sta sh_mask
        lda sh_i+1
        sta sh_mask+1
        ldx #4
@smear: lda sh_mask+1           ; mask |= mask >> 1, >> 2, >> 4, >> 8 (four rounds,
        lsr                     ;  doubling: enough for 16 bits)
        sta sh_t+1
        lda sh_mask
        ror
        sta sh_t
        ldy sh_sh-1,x
@more:  dey
        beq @or
        lsr sh_t+1
        ror sh_t
        jmp @more
@or:    lda sh_mask
        ora sh_t
        sta sh_mask
        lda sh_mask+1
        ora sh_t+1
        sta sh_mask+1
        dex
        bne @smear
sh_loop:
        lda sh_i
        ora sh_i+1
        bne sh_draw
        rts                     ; i = 0: finished
sh_draw:
        jsr sh_next
        lda sh_state
        and sh_mask
        sta sh_j
        lda sh_state+1
        and sh_mask+1
        sta sh_j+1
        cmp sh_i+1              ; j <= i ?
        bcc sh_ok
        bne sh_draw
        lda sh_j
        cmp sh_i
        beq sh_ok
        bcs sh_draw
sh_ok:  ; offsets 2*i and 2*j
        lda sh_i
        asl
        sta sh_oi
        lda sh_i+1
        rol
        sta sh_oi+1
        lda sh_j
        asl
        sta sh_oj
        lda sh_j+1
        rol
        sta sh_oj+1
        ; patch the four operands: base + offset
        clc
        lda sh_ord
        adc sh_oi
        sta sh_rdi+1
        sta sh_wri+1
        lda sh_ord+1
        adc sh_oi+1
        sta sh_rdi+2
        sta sh_wri+2
        clc
        lda sh_ord
        adc sh_oj
        sta sh_rdj+1
        sta sh_wrj+1
        lda sh_ord+1
        adc sh_oj+1
        sta sh_rdj+2
        sta sh_wrj+2
        ldy #1
sh_swap:
sh_rdi: ldx $FFFF,y
sh_rdj: lda $FFFF,y
sh_wri: sta $FFFF,y
        txa
sh_wrj: sta $FFFF,y
        dey
        bpl sh_swap
        ; i -= 1
        lda sh_i
        bne @dec
        dec sh_i+1
@dec:   dec sh_i
        ; if i <= mask >> 1, mask >>= 1 (i has one bit fewer)
        lda sh_mask+1
        lsr
        sta sh_t+1
        lda sh_mask
        ror
        sta sh_t
        lda sh_i+1
        cmp sh_t+1
        bcc @half
        bne @keep
        lda sh_t
        cmp sh_i
        bcc @keep
@half:  lda sh_t
        sta sh_mask
        lda sh_t+1
        sta sh_mask+1
@keep:  jmp sh_loop

sh_sh:      .byte 8, 4, 2, 1        ; shift counts, read from the end (x = 4 .. 1)
sh_state:   .res 2
sh_ord:     .res 2
sh_n:       .res 2
sh_i:       .res 2
sh_j:       .res 2
sh_mask:    .res 2
sh_t:       .res 2
sh_oi:      .res 2
sh_oj:      .res 2
