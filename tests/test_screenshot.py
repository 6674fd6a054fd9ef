"""Screenshots: the PNG is decoded here independently (zlib + struct) and pixels are checked."""

from __future__ import annotations

import struct
import zlib

import pytest

from c64ml.errors import C64mlError
from c64ml.machine.font8x8 import GLYPHS, PLACEHOLDER_CODES, glyph
from c64ml.machine.png import png_rgb
from c64ml.machine.screenshot import render_png

BLACK, WHITE = (0, 0, 0), (255, 255, 255)


def decode_png(data: bytes):
    """Width, height and rows of RGB tuples from an 8-bit RGB or palette PNG (filter 0 only)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks.append((kind, body))
        pos += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    w, h, depth, ctype, comp, filt, lace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, comp, filt, lace) == (8, 0, 0, 0) and ctype in (2, 3)
    raw = zlib.decompress(b"".join(b for k, b in chunks if k == b"IDAT"))
    bpp = 3 if ctype == 2 else 1
    stride = 1 + w * bpp
    assert len(raw) == h * stride
    plte = dict(chunks).get(b"PLTE", b"")
    rows = []
    for y in range(h):
        line = raw[y * stride:(y + 1) * stride]
        assert line[0] == 0
        px = line[1:]
        if ctype == 2:
            rows.append([tuple(px[i:i + 3]) for i in range(0, len(px), 3)])
        else:
            rows.append([tuple(plte[3 * i:3 * i + 3]) for i in px])
    return w, h, rows


def screen(cells: dict[tuple[int, int], int], ink: int = 1):
    codes = bytearray(b"\x20" * 1000)
    for (row, col), code in cells.items():
        codes[row * 40 + col] = code
    return bytes(codes), bytes([ink]) * 1000


def cell_pixels(rows, row, col, scale=1):
    """8x8 RGB tuples of one character cell (sampling the top-left of each scaled pixel)."""
    x0, y0 = (32 + col * 8) * scale, (36 + row * 8) * scale
    return [[rows[y0 + y * scale][x0 + x * scale] for x in range(8)] for y in range(8)]


def test_png_rgb_decodes():
    png = png_rgb(2, 1, [bytes([1, 2, 3, 250, 251, 252])])
    assert decode_png(png) == (2, 1, [[(1, 2, 3), (250, 251, 252)]])


def test_blocks_and_border():
    # white ink (1) on black (0), border white: reversed space, space, left half, lower half.
    codes, colours = screen({(0, 0): 160, (0, 1): 32, (0, 2): 97, (0, 3): 98, (24, 39): 160})
    w, h, rows = decode_png(render_png(codes, colours, border=1, background=0, scale=1))
    assert (w, h) == (384, 272)
    assert rows[0][0] == rows[271][383] == rows[100][10] == WHITE  # border
    assert rows[36 + 8][32 + 8 * 5] == BLACK  # background
    assert cell_pixels(rows, 0, 0) == [[WHITE] * 8] * 8
    assert cell_pixels(rows, 24, 39) == [[WHITE] * 8] * 8
    assert rows[36 + 200][32 + 319] == WHITE and rows[36 + 199][32 + 320] == WHITE  # border again
    assert cell_pixels(rows, 0, 1) == [[BLACK] * 8] * 8
    assert cell_pixels(rows, 0, 2) == [[WHITE] * 4 + [BLACK] * 4] * 8
    assert cell_pixels(rows, 0, 3) == [[BLACK] * 8] * 4 + [[WHITE] * 8] * 4


def test_scale_and_colours():
    codes, colours = screen({(3, 5): 160}, ink=2)
    w, h, rows = decode_png(render_png(codes, colours, border=0, background=6, scale=3))
    assert (w, h) == (384 * 3, 272 * 3)
    red = rows[(36 + 24) * 3][(32 + 40) * 3]
    blue = rows[(36 + 24) * 3][(32 + 48) * 3]
    assert red[0] > red[2] and blue[2] > blue[0]  # red ink, blue background
    # each C64 pixel is a 3x3 block
    y, x = (36 + 24) * 3, (32 + 39) * 3
    assert {rows[y + dy][x + dx] for dy in range(3) for dx in range(3)} == {blue}
    assert rows[0][0] == BLACK


def test_checkerboard_and_reversed_letter():
    codes, colours = screen({(1, 0): 102, (1, 1): 1, (1, 2): 129})
    _, _, rows = decode_png(render_png(codes, colours, 0, 0, scale=1))
    checker = cell_pixels(rows, 1, 0)
    assert all(checker[y][x] == (WHITE if (x + y) % 2 == 0 else BLACK)
               for y in range(8) for x in range(8))
    a, rev = cell_pixels(rows, 1, 1), cell_pixels(rows, 1, 2)
    assert all((a[y][x] == WHITE) != (rev[y][x] == WHITE) for y in range(8) for x in range(8))
    # An 'A' has a crossbar: some row is wider than the apex row.
    ink = [sum(p == WHITE for p in r) for r in a]
    assert ink[0] >= 1 and max(ink) >= 5 and ink[7] == 0


def test_font_covers_required_characters():
    required = list(range(0, 64)) + [64, 66, 81, 91, 97, 98, 102, 104, 107, 109, 110, 112,
                                     113, 114, 115, 123, 124, 126]
    assert not PLACEHOLDER_CODES & set(required)
    assert GLYPHS[32] == (0,) * 8
    drawn = [GLYPHS[c] for c in required if c != 32]
    assert all(any(g) for g in drawn)
    assert len(set(drawn)) == len(drawn)  # all distinct
    assert glyph(160) == (0xFF,) * 8 and glyph(128 + 1) == tuple(b ^ 0xFF for b in GLYPHS[1])
    # O and 0 and D differ; I and 1 differ.
    assert len({GLYPHS[15], GLYPHS[48], GLYPHS[4]}) == 3 and GLYPHS[9] != GLYPHS[49]


def test_bad_input():
    with pytest.raises(C64mlError):
        render_png(b"\x20" * 999, b"\x01" * 1000, 0, 0)
    with pytest.raises(C64mlError):
        render_png(b"\x20" * 1000, b"\x01" * 1000, 0, 0, scale=0)
