"""VICE monitor label files: one ``al C:080d .name`` line per symbol.

Load with ``x64sc -moncommands FILE`` or ``ll "FILE"`` in the monitor. VICE's
monitor lexer accepts a label as ``.`` then one of ``_ @ ? :`` or a letter, then
any of those, digits or ``.``; other characters are replaced by ``_`` here and
clashes get a numeric suffix.
"""

from __future__ import annotations

import re

from c64ml.errors import C64mlError

_FIRST_OK = re.compile(r"[_@?:A-Za-z]")
_REST_BAD = re.compile(r"[^_@?:.A-Za-z0-9]")


def vice_name(name: str) -> str:
    """``name`` made VICE-legal, without the leading dot."""
    name = _REST_BAD.sub("_", name) or "_"
    return name if _FIRST_OK.match(name) else "_" + name


def labels_text(symbols: dict[str, int]) -> str:
    """A VICE label file for ``symbols`` (name -> address), sorted by address then name."""
    used: set[str] = set()
    lines = []
    for name, addr in sorted(symbols.items(), key=lambda kv: (kv[1], kv[0])):
        if not isinstance(addr, int) or not 0 <= addr <= 0xFFFF:
            raise C64mlError(f"symbol {name!r} has value {addr!r}, not an address $0000-$FFFF")
        base = label = vice_name(name)
        n = 1
        while label.lower() in used:  # also case-blind, to be safe
            n += 1
            label = f"{base}_{n}"
        used.add(label.lower())
        lines.append(f"al C:{addr:04x} .{label}\n")
    return "".join(lines)
