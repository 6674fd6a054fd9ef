"""A minimal PNG writer (8-bit RGB or 8-bit palette), pure Python via zlib and struct."""

from __future__ import annotations

import struct
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, body: bytes) -> bytes:
    return (struct.pack(">I", len(body)) + kind + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))


def _encode(width: int, height: int, colour_type: int, rows: list[bytes],
            extra: bytes = b"") -> bytes:
    if width < 1 or height < 1 or len(rows) != height:
        raise ValueError("image must be at least 1x1 with one row per line")
    raw = b"".join(b"\x00" + r for r in rows)  # filter type 0 (None) on every row
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (SIGNATURE + _chunk(b"IHDR", ihdr) + extra
            + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b""))


def png_rgb(width: int, height: int, rows: list[bytes]) -> bytes:
    """PNG from ``height`` rows of ``3 * width`` bytes (R, G, B)."""
    if any(len(r) != 3 * width for r in rows):
        raise ValueError("each RGB row must hold 3 bytes per pixel")
    return _encode(width, height, 2, rows)


def png_palette(width: int, height: int, palette: list[tuple[int, int, int]],
                rows: list[bytes]) -> bytes:
    """PNG from ``height`` rows of ``width`` palette indices into ``palette`` (at most 256)."""
    if not 1 <= len(palette) <= 256:
        raise ValueError("a palette holds 1-256 colours")
    if any(len(r) != width or (r and max(r) >= len(palette)) for r in rows):
        raise ValueError("each row must hold one valid palette index per pixel")
    plte = _chunk(b"PLTE", b"".join(bytes(c) for c in palette))
    return _encode(width, height, 3, rows, plte)
