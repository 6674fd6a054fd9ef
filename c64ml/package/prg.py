"""PRG files: a two-byte little-endian load address followed by the bytes loaded there.

A program that sits in BASIC memory gets a one-line BASIC stub ``10 SYS nnnn`` at
$0801 so that ``LOAD "X",8`` + ``RUN`` starts it.  Stub layout (all little-endian)::

    $0801  link to next line (2 bytes) = address just after this line's 0 terminator
    $0803  line number (2 bytes)
    $0805  $9E (the SYS token), the address in decimal ASCII digits, $00
    next   $00 $00 (a zero link: end of the BASIC program)
"""

from __future__ import annotations

from c64ml.errors import C64mlError

BASIC_START = 0x0801
#: Where a program right behind the stub ``10 SYS 2061`` starts (= ``stub_end(SYS_ORIGIN)``).
SYS_ORIGIN = 0x080D
SYS_TOKEN = 0x9E
#: Address ranges (inclusive) a PRG must never load over, with the reason.
FORBIDDEN = (
    (0x0000, 0x01FF, "zero page and stack"),
    (0xD000, 0xDFFF, "I/O area $D000-$DFFF"),
    (0xFFFA, 0xFFFF, "CPU vectors $FFFA-$FFFF"),
)
MAX_PRG_BYTES = 2 + 0x10000


def _word(value: int) -> bytes:
    return bytes((value & 0xFF, value >> 8))


def basic_stub(sys_addr: int, line: int = 10) -> bytes:
    """The BASIC program ``LINE SYS sys_addr`` as it sits in memory from $0801 (no load address)."""
    if not 0 <= sys_addr <= 0xFFFF:
        raise C64mlError(f"SYS address {sys_addr} is outside 0-65535")
    if not 0 <= line <= 63999:
        raise C64mlError(f"BASIC line number {line} is outside 0-63999")
    body = _word(line) + bytes((SYS_TOKEN,)) + str(sys_addr).encode("ascii") + b"\x00"
    next_line = BASIC_START + 2 + len(body)
    return _word(next_line) + body + b"\x00\x00"


def stub_source(sys_addr: int, line: int = 10) -> str:
    """:func:`basic_stub` as assembly source from ``.org $0801``, for a program whose source
    carries its own stub (an app's ``compile --format asm``)."""
    stub = basic_stub(sys_addr, line)
    link, body = stub[0] | stub[1] << 8, stub[4:-2]
    assert body[0] == SYS_TOKEN and body[-1] == 0
    return "\n".join([
        f"        .org ${BASIC_START:04X}              ; BASIC stub: {line} SYS {sys_addr}",
        f"        .word ${link:04X}, {line}         ; link to the next line, line number",
        f"        .byte ${SYS_TOKEN:02X}, \"{body[1:-1].decode('ascii')}\", 0   ; SYS token, "
        "the address in digits, end of line",
        "        .word 0                 ; link 0: end of the BASIC program", ""])


def stub_end(sys_addr: int) -> int:
    """First free address after the stub for ``SYS sys_addr`` (2061 for a 4-digit address)."""
    return BASIC_START + len(basic_stub(sys_addr))


def check_range(load_addr: int, size: int, path=None) -> None:
    """Raise C64mlError unless ``size`` bytes at ``load_addr`` fit in 64K and avoid FORBIDDEN."""
    if size <= 0:
        raise C64mlError("PRG holds no bytes after its load address", path)
    end = load_addr + size - 1
    if end > 0xFFFF:
        raise C64mlError(f"{size} bytes at ${load_addr:04X} run past $FFFF", path)
    for lo, hi, what in FORBIDDEN:
        if load_addr <= hi and end >= lo:
            raise C64mlError(f"would load over the {what} (${load_addr:04X}-${end:04X})", path)


def make_prg(load_addr: int, data: bytes) -> bytes:
    """A PRG: load address then ``data``; checked with :func:`check_range`."""
    if not 0 <= load_addr <= 0xFFFF:
        raise C64mlError(f"load address {load_addr} is outside $0000-$FFFF")
    check_range(load_addr, len(data))
    return _word(load_addr) + bytes(data)


def prg_with_stub(origin: int, code: bytes, entry: int | None = None) -> bytes:
    """A PRG at $0801: the ``SYS entry`` stub, zero padding up to ``origin``, then ``code``."""
    entry = origin if entry is None else entry
    if not origin <= entry < origin + max(len(code), 1):
        raise C64mlError(f"entry ${entry:04X} is outside the code at ${origin:04X}")
    stub = basic_stub(entry)
    first_free = BASIC_START + len(stub)
    if origin < first_free:
        raise C64mlError(f"origin ${origin:04X} overlaps the BASIC stub, which ends at "
                         f"${first_free - 1:04X}; use .org ${first_free:04X} or higher")
    return make_prg(BASIC_START, stub + bytes(origin - first_free) + bytes(code))


#: A SYS stub is added only for programs starting below the BASIC ROM (``package_prg``).
STUB_LIMIT = 0xA000


def package_prg(origin: int, data: bytes, entry: int | None = None) -> bytes:
    """A PRG for code at ``origin`` as ``c64ml asm`` writes it: with a ``SYS`` stub when the
    code lies in BASIC memory after where the stub ends, else a plain PRG loading at
    ``origin``."""
    start = origin if entry is None else entry
    if stub_end(start) <= origin < STUB_LIMIT:
        return prg_with_stub(origin, data, start)
    return make_prg(origin, data)


def parse_prg(data: bytes, path=None) -> tuple[int, bytes]:
    """Split and check a PRG: ``(load_addr, payload)``; any problem is a C64mlError naming ``path``."""
    if len(data) < 2:
        raise C64mlError(f"truncated PRG: {len(data)} bytes, need a 2-byte load address", path)
    if len(data) > MAX_PRG_BYTES:
        raise C64mlError(f"PRG is {len(data)} bytes; a PRG holds at most {MAX_PRG_BYTES}", path)
    load_addr = data[0] | data[1] << 8
    payload = bytes(data[2:])
    check_range(load_addr, len(payload), path)
    return load_addr, payload


def stub_sys_address(prg: bytes, path=None) -> int:
    """The address in the first line's ``SYS nnnn`` of a PRG loading at $0801 (what RUN starts)."""
    load_addr, payload = parse_prg(prg, path)
    if load_addr != BASIC_START:
        raise C64mlError(f"loads at ${load_addr:04X}, not $0801, so it has no BASIC stub", path)
    line = payload[: 2 + 2 + 255]  # one BASIC line is at most 255 bytes
    if len(line) < 6:
        raise C64mlError("BASIC stub is truncated", path)
    link = line[0] | line[1] << 8
    if link == 0:
        raise C64mlError("BASIC program is empty (first link is 0)", path)
    if not BASIC_START + 6 <= link <= BASIC_START + len(payload) - 2:
        raise C64mlError(f"BASIC stub's link ${link:04X} points outside the file", path)
    text = line[4: link - BASIC_START]
    i = 0
    while i < len(text) and text[i] == 0x20:
        i += 1
    if i >= len(text) or text[i] != SYS_TOKEN:
        raise C64mlError("first BASIC line is not a SYS statement", path)
    i += 1
    while i < len(text) and text[i] in b" (":
        i += 1
    digits = bytearray()
    while i < len(text) and 0x30 <= text[i] <= 0x39 and len(digits) < 6:
        digits.append(text[i])
        i += 1
    if not digits:
        raise C64mlError("SYS in the BASIC stub has no decimal address", path)
    address = int(digits)
    if address > 0xFFFF:
        raise C64mlError(f"SYS address {address} is above 65535", path)
    return address
