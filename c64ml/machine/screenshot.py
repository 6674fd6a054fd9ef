"""PNG screenshots of the C64 text screen, drawn with c64ml's own font and palette."""

from __future__ import annotations

from c64ml.errors import C64mlError
from c64ml.machine.font8x8 import glyph
from c64ml.machine.png import png_palette

#: The 16 VIC-II colours as c64ml's own RGB approximations (index = colour number).
PALETTE: tuple[tuple[int, int, int], ...] = (
    (0, 0, 0), (255, 255, 255), (136, 56, 48), (104, 184, 192),
    (136, 64, 152), (88, 160, 72), (64, 48, 144), (192, 208, 112),
    (136, 88, 40), (88, 64, 0), (184, 104, 96), (80, 80, 80),
    (120, 120, 120), (152, 224, 136), (120, 104, 200), (160, 160, 160),
)
COLS, ROWS = 40, 25
#: Border widths in pixels (before scaling): left/right and top/bottom, as VICE shows PAL.
BORDER_X, BORDER_Y = 32, 36
WIDTH, HEIGHT = COLS * 8 + 2 * BORDER_X, ROWS * 8 + 2 * BORDER_Y  # 384 x 272


def render_rows(screen_codes: bytes, colours: bytes, border: int,
                background: int) -> list[bytes]:
    """Unscaled WIDTH x HEIGHT image as rows of palette indices (0-15)."""
    if len(screen_codes) != COLS * ROWS or len(colours) != COLS * ROWS:
        raise C64mlError(f"screen and colour RAM must be {COLS * ROWS} bytes each, got "
                         f"{len(screen_codes)} and {len(colours)}")
    border &= 0x0F
    background &= 0x0F
    edge = bytes([border]) * BORDER_X
    rows = [bytes([border]) * WIDTH] * BORDER_Y
    for r in range(ROWS):
        cells = [(glyph(screen_codes[r * COLS + c]), colours[r * COLS + c] & 0x0F)
                 for c in range(COLS)]
        for y in range(8):
            line = bytearray(edge)
            for g, ink in cells:
                bits = g[y]
                line += bytes(ink if bits & (0x80 >> x) else background for x in range(8))
            line += edge
            rows.append(bytes(line))
    rows += [bytes([border]) * WIDTH] * BORDER_Y
    return rows


def render_png(screen_codes: bytes, colours: bytes, border: int, background: int,
               scale: int = 2) -> bytes:
    """PNG of the text screen (1000 screen codes from $0400, 1000 colour-RAM nybbles),
    surrounded by the border, each C64 pixel drawn as ``scale`` x ``scale`` pixels."""
    if not 1 <= scale <= 8:
        raise C64mlError(f"scale {scale} is outside 1-8")
    rows = render_rows(screen_codes, colours, border, background)
    if scale > 1:
        rows = [bytes(b for b in row for _ in range(scale)) for row in rows]
        rows = [row for row in rows for _ in range(scale)]
    return png_palette(WIDTH * scale, HEIGHT * scale, list(PALETTE), rows)
