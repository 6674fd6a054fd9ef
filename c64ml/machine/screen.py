"""The 40x25 text screen as the KERNAL's screen editor drives it.

Screen codes live in RAM at $0400-$07E7 and colours in colour RAM, so code that
POKEs the screen and code that prints with CHROUT share one screen.  The model
keeps the cursor and the reverse/quote flags; the text colour is RAM $0286
(COLOR), as in the KERNAL.

Simplifications (documented in docs/harness.md): every physical row is its
own line (no 80-column logical lines), INST inserts one blank without
entering insert mode, and the screen stays at $0400 whatever $D018/$DD00 say.
"""

from __future__ import annotations

COLS, ROWS = 40, 25
SCREEN = 0x0400
COLOR = 0x0286          # current text colour (KERNAL variable)

# PETSCII colour control codes -> colour index
COLOUR_CODES = {
    144: 0, 5: 1, 28: 2, 159: 3, 156: 4, 30: 5, 31: 6, 158: 7,
    129: 8, 149: 9, 150: 10, 151: 11, 152: 12, 153: 13, 154: 14, 155: 15,
}
# Codes handled even in quote mode.
_QUOTE_SAFE = {13, 141, 20}


def petscii_to_screen(c: int) -> int | None:
    """Screen code for a printable PETSCII byte, None for control codes."""
    if 0x20 <= c < 0x40:
        return c
    if 0x40 <= c < 0x60:
        return c - 0x40
    if 0x60 <= c < 0x80:
        return c - 0x20
    if 0xA0 <= c < 0xC0:
        return c - 0x40
    if 0xC0 <= c < 0xE0:
        return c - 0x80
    if 0xE0 <= c < 0xFF:
        return c - 0x80
    if c == 0xFF:
        return 0x5E
    return None


def screen_to_char(code: int, lowercase: bool = False) -> str:
    """A readable character for a screen code (reverse video ignored)."""
    c = code & 0x7F
    if c == 0:
        return "@"
    if 1 <= c <= 26:
        return chr(ord("a" if lowercase else "A") + c - 1)
    if 27 <= c <= 31:
        return "[£]↑←"[c - 27]
    if 32 <= c <= 63:
        return chr(c)
    if lowercase and 65 <= c <= 90:
        return chr(ord("A") + c - 65)
    if c == 0x5E and not lowercase:
        return "π"
    return "#"  # graphics characters


class Screen:
    """Cursor, flags and the CHROUT/PLOT behaviour over a machine's RAM and colour RAM."""

    def __init__(self, ram, colour: bytearray) -> None:
        self.ram = ram            # 64 KB, writable by index
        self.colour = colour      # 1024 nibbles
        self.row = 0
        self.col = 0
        self.reverse = False
        self.quote = False
        self.lowercase = False
        self.scrolls = 0

    # --- cells -------------------------------------------------------------
    def _put(self, row: int, col: int, code: int, colour: int) -> None:
        i = row * COLS + col
        self.ram[SCREEN + i] = code
        self.colour[i] = colour & 0x0F

    def clear(self) -> None:
        fill = self.ram[COLOR] & 0x0F
        self.ram[SCREEN:SCREEN + COLS * ROWS] = b" " * (COLS * ROWS)
        self.colour[0:COLS * ROWS] = bytes([fill]) * (COLS * ROWS)
        self.row = self.col = 0

    def scroll(self) -> None:
        r, c = self.ram, self.colour
        r[SCREEN:SCREEN + 960] = bytes(r[SCREEN + 40:SCREEN + 1000])
        c[0:960] = c[40:1000]
        fill = r[COLOR] & 0x0F
        r[SCREEN + 960:SCREEN + 1000] = b" " * 40
        c[960:1000] = bytes([fill]) * 40
        self.scrolls += 1

    # --- cursor --------------------------------------------------------------
    def newline(self) -> None:
        self.col = 0
        if self.row == ROWS - 1:
            self.scroll()
        else:
            self.row += 1

    def advance(self) -> None:
        if self.col == COLS - 1:
            self.newline()
        else:
            self.col += 1

    def plot(self, row: int, col: int) -> None:
        self.row = min(max(row, 0), ROWS - 1)
        self.col = min(max(col, 0), COLS - 1)

    # --- CHROUT --------------------------------------------------------------
    def chrout(self, c: int) -> None:
        """Print one PETSCII byte as the KERNAL's screen editor would."""
        code = petscii_to_screen(c)
        if code is None and self.quote and c not in _QUOTE_SAFE:
            # In quote mode control codes show as reversed characters.
            code = (c | 0x80) if c < 0x80 else (c - 0x40) | 0x80
            self._put(self.row, self.col, code, self.ram[COLOR])
            self.advance()
            return
        if code is not None:
            if c == 0x22:
                self.quote = not self.quote
            if self.reverse:
                code |= 0x80
            self._put(self.row, self.col, code, self.ram[COLOR])
            self.advance()
            return
        if c in (13, 141):
            self.reverse = self.quote = False
            self.newline()
        elif c == 147:
            self.clear()
        elif c == 19:
            self.row = self.col = 0
        elif c == 17:
            if self.row == ROWS - 1:
                self.scroll()
            else:
                self.row += 1
        elif c == 145:
            self.row = max(self.row - 1, 0)
        elif c == 29:
            self.advance()
        elif c == 157:
            if self.col:
                self.col -= 1
            elif self.row:
                self.row, self.col = self.row - 1, COLS - 1
        elif c == 18:
            self.reverse = True
        elif c == 146:
            self.reverse = False
        elif c == 20:
            self._delete()
        elif c == 148:
            self._insert()
        elif c == 14:
            self.lowercase = True
        elif c == 142:
            self.lowercase = False
        elif c in COLOUR_CODES:
            self.ram[COLOR] = COLOUR_CODES[c]
        # other control codes print nothing

    def _delete(self) -> None:
        if self.col == 0:
            if self.row == 0:
                return
            self.row, self.col = self.row - 1, COLS - 1
            self._put(self.row, self.col, 0x20, self.ram[COLOR])
            return
        base = self.row * COLS
        for i in range(self.col, COLS):
            self.ram[SCREEN + base + i - 1] = self.ram[SCREEN + base + i]
            self.colour[base + i - 1] = self.colour[base + i]
        self._put(self.row, COLS - 1, 0x20, self.ram[COLOR])
        self.col -= 1

    def _insert(self) -> None:
        base = self.row * COLS
        for i in range(COLS - 1, self.col, -1):
            self.ram[SCREEN + base + i] = self.ram[SCREEN + base + i - 1]
            self.colour[base + i] = self.colour[base + i - 1]
        self._put(self.row, self.col, 0x20, self.ram[COLOR])

    # --- readout -------------------------------------------------------------
    def codes(self) -> bytes:
        return bytes(self.ram[SCREEN:SCREEN + COLS * ROWS])

    def text(self) -> list[str]:
        """25 strings, trailing spaces stripped; graphics characters shown as '#'."""
        codes = self.codes()
        return ["".join(screen_to_char(b, self.lowercase)
                        for b in codes[r * COLS:(r + 1) * COLS]).rstrip(" ")
                for r in range(ROWS)]


def trim_screen(lines: list[str]) -> list[str]:
    """Screen lines without trailing spaces or trailing blank lines (as ``c64ml run``
    prints them)."""
    out = [ln.rstrip() for ln in lines]
    while out and not out[-1]:
        out.pop()
    return out
