"""Quarter-square multiplication tables shared by the 6502 runtime (runtime6502/README.md).

For unsigned bytes a and b:  a·b = f(a + b) − f(|a − b|),  f(n) = ⌊n²/4⌋
(the floors cancel because a + b and a − b have the same parity).

Four page-aligned tables of 512 bytes each (index 0 … 510 used):

- ``SQ1LO/SQ1HI[n] = f(n) + 1``          indexed by a + b (operand base patched to SQ1 + a)
- ``SQ2LO/SQ2HI[k] = f(|k − 255|)``      indexed by b + (255 − a) (base patched to SQ2 + (a XOR $FF))

With the carry clear, ``lda SQ1LO+a,y / sbc SQ2LO+(255−a),y / lda SQ1HI+a,y / sbc SQ2HI+(255−a),y``
leaves the exact 16-bit product a·Y and the carry set: the "+1" in SQ1 cancels the borrow
that the clear carry brings in.
"""

from __future__ import annotations

import numpy as np

TABLE_NAMES = ("SQ1LO", "SQ1HI", "SQ2LO", "SQ2HI")


def quarter_square(n: int) -> int:
    return n * n // 4


def tables() -> dict[str, bytes]:
    """The four 512-byte tables by name."""
    sq1 = [quarter_square(n) + 1 if n <= 510 else 0 for n in range(512)]
    sq2 = [quarter_square(abs(k - 255)) if k <= 510 else 0 for k in range(512)]
    return {"SQ1LO": bytes(v & 0xFF for v in sq1), "SQ1HI": bytes(v >> 8 for v in sq1),
            "SQ2LO": bytes(v & 0xFF for v in sq2), "SQ2HI": bytes(v >> 8 for v in sq2)}


def byte_planes(values, nbytes: int) -> bytes:
    """Integers as ``nbytes``-byte two's complement, one array per byte: every value's low
    byte, then every value's next byte, … (how the runtime indexes multi-byte arrays)."""
    v = np.mod(np.asarray(values, dtype=np.int64), 1 << (8 * nbytes))
    return b"".join(bytes(((v >> (8 * k)) & 0xFF).astype(np.uint8)) for k in range(nbytes))


def byte_lines(data: bytes, per_line: int = 16) -> list[str]:
    """``.byte`` directives for ``data``, ``per_line`` values each."""
    return ["        .byte " + ",".join(f"${b:02X}" for b in data[i:i + per_line])
            for i in range(0, len(data), per_line)]


def tables_source() -> str:
    """Assembly for the four tables, page aligned, with their labels."""
    out = ["; quarter-square tables (c64ml/backend6502/sqtables.py): SQ1 = n*n/4 + 1, SQ2 = (k-255)^2/4"]
    for name, data in tables().items():
        out += ["        .align 256", f"{name}:"] + byte_lines(data)
    return "\n".join(out) + "\n"
