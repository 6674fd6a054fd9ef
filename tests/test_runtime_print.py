"""runtime6502/print.s: decimal (8/16/32-bit, padded), hex, strings and the division
helper, checked through the emulated CHROUT, with the cycle formula of the header."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from runtime_harness import build, call, peek, poke

M, SYM = build("print.s", tables=False)
POWERS = [10 ** k for k in range(9, 0, -1)]


def printed(name: str, a: int = 0, x: int = 0, width: int | None = None) -> tuple[str, int]:
    """Run a routine; (the characters it sent to CHROUT, its own cycles)."""
    out: list[int] = []
    chrout = M.screen.chrout
    M.screen.chrout = lambda c: (out.append(c), chrout(c))
    try:
        if width is not None:
            M.ram[SYM["pr_width"]] = width
        r = call(M, SYM, name, a=a, x=x)
    finally:
        M.screen.chrout = chrout
    return bytes(out).decode("latin-1"), r.cycles


def u32_cycles(v: int, width: int) -> int:
    """pr_u32's cycles by instruction counts (print.s listing): each of the 9 positions
    makes `digit` successful subtractions (81 each) and one failing one (49), plus one
    when a table read crosses a page, then prints, pads or skips."""
    total = 8 + 24
    digits = f"{v:010d}"
    lead = False
    for x, ch in enumerate(digits[:9]):
        d = int(ch)
        cross = sum((SYM[t] & 0xFF) + x > 0xFF for t in ("pr_p0", "pr_p1", "pr_p2", "pr_p3"))
        total += 2 + d * (81 + cross) + 49 + cross + 6
        if d or lead:
            lead = True
            total += 3 + 14
        else:
            left = 10 - x
            total += 14 + (3 + 11 if left == width else 5 if left > width else 4 + 11)
        total += 7 if x < 8 else 6
    return total


def check_u32(v: int, width: int = 0) -> None:
    poke(M, SYM["pr_num"], v, 4)
    text, cycles = printed("pr_u32", width=width)
    assert text == str(v).rjust(width), (v, width, text)
    assert cycles == u32_cycles(v, width), (v, width)
    assert peek(M, SYM["pr_num"], 4) == 0


def test_u8_every_value():
    for v in range(256):
        text, cycles = printed("pr_u8", a=v, width=0)
        assert text == str(v)
        assert cycles == u32_cycles(v, 0) + 2 + 18


def test_u16_edges_and_widths():
    for v in (0, 1, 9, 10, 99, 100, 255, 256, 999, 1000, 9999, 10000, 32767, 32768, 65535):
        for width in (0, 1, 3, 5, 6):
            text, cycles = printed("pr_u16", a=v & 0xFF, x=v >> 8, width=width)
            assert text == str(v).rjust(width)
            assert cycles == u32_cycles(v, width) + 18


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 0xFFFF), st.integers(0, 6))
def test_u16_random(v, width):
    text, _ = printed("pr_u16", a=v & 0xFF, x=v >> 8, width=width)
    assert text == str(v).rjust(width)


def test_u32_edges():
    edges = {0, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 4_000_000_000}
    for p in POWERS:
        edges |= {p - 1, p, p + 1, 9 * p, min(10 * p - 1, 0xFFFFFFFF)}
    for v in sorted(e for e in edges if e <= 0xFFFFFFFF):
        for width in (0, 10):
            check_u32(v, width)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 0xFFFFFFFF), st.integers(0, 10))
def test_u32_random(v, width):
    check_u32(v, width)


def test_hex8_every_value():
    for v in range(256):
        assert printed("pr_hex8", a=v)[0] == f"{v:02X}"


def test_string_up_to_255_characters():
    for n in (0, 1, 40, 255):
        text = bytes(0x41 + i % 26 for i in range(n)) + b"\0"
        M.load(0x6000, text)
        out, cycles = printed("pr_str", a=0x00, x=0x60)
        assert out == text[:-1].decode()


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 0xFFFFFFFF), st.integers(1, 0xFFFF))
def test_div(n, d):
    poke(M, SYM["pr_num"], n, 4)
    poke(M, SYM["pr_den"], d, 2)
    r = call(M, SYM, "pr_div")
    assert (peek(M, SYM["pr_num"], 4), peek(M, SYM["pr_rem"], 2)) == divmod(n, d)
    assert r.cycles == div_cycles(n, d)


def div_cycles(n: int, d: int) -> int:
    """Per quotient bit: shifts 36 + 5 for the loop, then 21 when the bit is 0, 50 when it
    is 1 after the compare, 33 when the remainder overflowed 16 bits (BCS); plus 17 fixed."""
    total, rem = 17, 0
    for i in range(31, -1, -1):
        rem = rem * 2 + (n >> i & 1)
        total += 41 + (33 if rem > 0xFFFF else 50 if rem >= d else 21)
        if rem >= d:
            rem -= d
    return total


def test_div_edges():
    for n, d in ((0, 1), (0xFFFFFFFF, 1), (0xFFFFFFFF, 0xFFFF), (0xFFFF0000, 0xFFFF),
                 (0x8000FFFF, 0x8001), (999, 1000), (1000, 1000), (45000, 45)):
        poke(M, SYM["pr_num"], n, 4)
        poke(M, SYM["pr_den"], d, 2)
        r = call(M, SYM, "pr_div")
        assert (peek(M, SYM["pr_num"], 4), peek(M, SYM["pr_rem"], 2)) == divmod(n, d)
        assert r.cycles == div_cycles(n, d)
