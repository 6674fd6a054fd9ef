; Hello world for the c64ml assembler: print a message with CHROUT, back to BASIC.
;   c64ml asm examples/hello/hello.s -o hello.prg     (adds a "10 SYS 2061" BASIC stub)
;   c64ml run hello.prg
; LOAD "HELLO",8 then RUN on a C64 (or x64sc -autostart hello.prg) does the same.

CHROUT = $FFD2          ; KERNAL: print the PETSCII character in A

        .org $080D      ; just after the BASIC stub "10 SYS 2061"
start:  ldx #0
@next:  lda message,x
        beq @done       ; the message ends with a 0 byte
        jsr CHROUT      ; keeps X
        inx
        bne @next       ; at most 255 characters
@done:  rts             ; back to BASIC's READY.

message:
        .byte "HELLO, WORLD!", 13   ; PETSCII upper case; 13 = RETURN
        .byte "C64ML SAYS HI", 13, 0
