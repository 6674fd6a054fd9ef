"""The opcode table against hand-written NMOS 6502 datasheet values."""

from c64ml.asm.opcodes import BY_NAME, MODE_SIZE, MODES, OPCODES, Opcode, branch_cycles

# Every documented opcode, written out by hand from the MOS datasheet:
# "HEX mnemonic mode cycles" with "+" marking the page-crossing penalty.
HAND_TABLE = """
69 adc imm 2   65 adc zp 3   75 adc zpx 4   6D adc abs 4   7D adc abx 4+  79 adc aby 4+  61 adc izx 6  71 adc izy 5+
29 and imm 2   25 and zp 3   35 and zpx 4   2D and abs 4   3D and abx 4+  39 and aby 4+  21 and izx 6  31 and izy 5+
0A asl acc 2   06 asl zp 5   16 asl zpx 6   0E asl abs 6   1E asl abx 7
90 bcc rel 2   B0 bcs rel 2  F0 beq rel 2   30 bmi rel 2   D0 bne rel 2   10 bpl rel 2   50 bvc rel 2  70 bvs rel 2
24 bit zp 3    2C bit abs 4  00 brk imp 7
18 clc imp 2   D8 cld imp 2  58 cli imp 2   B8 clv imp 2
C9 cmp imm 2   C5 cmp zp 3   D5 cmp zpx 4   CD cmp abs 4   DD cmp abx 4+  D9 cmp aby 4+  C1 cmp izx 6  D1 cmp izy 5+
E0 cpx imm 2   E4 cpx zp 3   EC cpx abs 4
C0 cpy imm 2   C4 cpy zp 3   CC cpy abs 4
C6 dec zp 5    D6 dec zpx 6  CE dec abs 6   DE dec abx 7
CA dex imp 2   88 dey imp 2
49 eor imm 2   45 eor zp 3   55 eor zpx 4   4D eor abs 4   5D eor abx 4+  59 eor aby 4+  41 eor izx 6  51 eor izy 5+
E6 inc zp 5    F6 inc zpx 6  EE inc abs 6   FE inc abx 7
E8 inx imp 2   C8 iny imp 2
4C jmp abs 3   6C jmp ind 5  20 jsr abs 6
A9 lda imm 2   A5 lda zp 3   B5 lda zpx 4   AD lda abs 4   BD lda abx 4+  B9 lda aby 4+  A1 lda izx 6  B1 lda izy 5+
A2 ldx imm 2   A6 ldx zp 3   B6 ldx zpy 4   AE ldx abs 4   BE ldx aby 4+
A0 ldy imm 2   A4 ldy zp 3   B4 ldy zpx 4   AC ldy abs 4   BC ldy abx 4+
4A lsr acc 2   46 lsr zp 5   56 lsr zpx 6   4E lsr abs 6   5E lsr abx 7
EA nop imp 2
09 ora imm 2   05 ora zp 3   15 ora zpx 4   0D ora abs 4   1D ora abx 4+  19 ora aby 4+  01 ora izx 6  11 ora izy 5+
48 pha imp 3   08 php imp 3  68 pla imp 4   28 plp imp 4
2A rol acc 2   26 rol zp 5   36 rol zpx 6   2E rol abs 6   3E rol abx 7
6A ror acc 2   66 ror zp 5   76 ror zpx 6   6E ror abs 6   7E ror abx 7
40 rti imp 6   60 rts imp 6
E9 sbc imm 2   E5 sbc zp 3   F5 sbc zpx 4   ED sbc abs 4   FD sbc abx 4+  F9 sbc aby 4+  E1 sbc izx 6  F1 sbc izy 5+
38 sec imp 2   F8 sed imp 2  78 sei imp 2
85 sta zp 3    95 sta zpx 4  8D sta abs 4   9D sta abx 5   99 sta aby 5   81 sta izx 6   91 sta izy 6
86 stx zp 3    96 stx zpy 4  8E stx abs 4
84 sty zp 3    94 sty zpx 4  8C sty abs 4
AA tax imp 2   A8 tay imp 2  BA tsx imp 2   8A txa imp 2   9A txs imp 2   98 tya imp 2
"""


def _hand_rows():
    words = HAND_TABLE.split()
    return [tuple(words[i:i + 4]) for i in range(0, len(words), 4)]


def test_counts():
    assert len(OPCODES) == 151
    assert len({o.mnemonic for o in OPCODES.values()}) == 56
    assert len(BY_NAME) == 151
    assert len(_hand_rows()) == 151


def test_matches_hand_table_exactly():
    for hexcode, name, mode, cyc in _hand_rows():
        code = int(hexcode, 16)
        assert OPCODES[code] == Opcode(code, name, mode, MODE_SIZE[mode],
                                       int(cyc.rstrip("+")), cyc.endswith("+")), hexcode
    assert set(OPCODES) == {int(r[0], 16) for r in _hand_rows()}


def test_keys_and_modes_consistent():
    assert set(MODE_SIZE) == set(MODES)
    for code, op in OPCODES.items():
        assert op.code == code and 0 <= code <= 0xFF
        assert op.mode in MODES
        assert op.mnemonic == op.mnemonic.lower() and len(op.mnemonic) == 3
        assert BY_NAME[(op.mnemonic, op.mode)] is op
    sizes = {"imp": 1, "acc": 1, "imm": 2, "zp": 2, "zpx": 2, "zpy": 2, "izx": 2, "izy": 2,
             "rel": 2, "abs": 3, "abx": 3, "aby": 3, "ind": 3}
    assert MODE_SIZE == sizes


def test_penalty_only_on_indexed_reads():
    for op in OPCODES.values():
        if op.page_penalty:
            assert op.mode in ("abx", "aby", "izy")
            assert op.mnemonic not in ("sta", "stx", "sty", "asl", "lsr", "rol", "ror", "inc", "dec")
    assert sum(o.page_penalty for o in OPCODES.values()) == 7 * 3 + 2


def test_spot_checks():
    assert BY_NAME[("lda", "abx")] == Opcode(0xBD, "lda", "abx", 3, 4, True)
    assert BY_NAME[("sta", "abx")] == Opcode(0x9D, "sta", "abx", 3, 5, False)
    assert BY_NAME[("inc", "abx")] == Opcode(0xFE, "inc", "abx", 3, 7, False)
    assert BY_NAME[("jmp", "ind")] == Opcode(0x6C, "jmp", "ind", 3, 5, False)
    assert (OPCODES[0x00].mnemonic, OPCODES[0x00].cycles) == ("brk", 7)
    assert (OPCODES[0x20].mnemonic, OPCODES[0x20].cycles) == ("jsr", 6)
    assert (OPCODES[0x60].mnemonic, OPCODES[0x60].cycles) == ("rts", 6)
    assert (OPCODES[0x40].mnemonic, OPCODES[0x40].cycles) == ("rti", 6)
    assert (OPCODES[0x48].mnemonic, OPCODES[0x48].cycles) == ("pha", 3)
    assert (OPCODES[0x68].mnemonic, OPCODES[0x68].cycles) == ("pla", 4)
    for bad in (0x02, 0x03, 0x04, 0x0B, 0x1A, 0x80, 0x89, 0x9C, 0x9E, 0xA3, 0xEB, 0xFF):
        assert bad not in OPCODES


def test_branch_cycles():
    assert branch_cycles(False, False) == 2
    assert branch_cycles(False, True) == 2
    assert branch_cycles(True, False) == 3
    assert branch_cycles(True, True) == 4
