"""The listing format shared by ``c64ml asm --listing`` and ``c64ml compile --listing``.

One row per source line: address, the first bytes it assembled to, its cycles, and the
source line as written (comments included). Cycles are the NMOS base count from
c64ml/asm/opcodes.py plus what the instruction may add, as the assembler worked it out:

- ``+1p``: one more when an indexed read crosses a page (``abs,x``/``abs,y`` with a base that
  is not page-aligned; ``(zp),y`` always, its pointer is only known at run time);
- ``+1b``: one more when a branch is taken; ``+1b+1p``: and one more again, because the
  taken branch lands in another page.
"""

from __future__ import annotations

from c64ml.asm.assembler import ListingLine

HEAD = "addr  bytes     cycles   source"
LEGEND = ("; cycles: the NMOS 6502 count, plus 1 where marked +1p if an indexed read crosses a "
          "page,\n;         +1b if the branch is taken (+1b+1p: 2 more, the taken branch lands "
          "in another page)")


def cycles_text(ln: ListingLine) -> str:
    """``4``, ``4+1p``, ``2+1b+1p``; empty for a line that is not an instruction."""
    return "" if ln.cycles is None else f"{ln.cycles}{ln.extra}"


def row(ln: ListingLine) -> str:
    """One listing row; the address is shown for lines with bytes or a label."""
    shown = " ".join(f"{b:02X}" for b in ln.data[:3]) + (" .." if len(ln.data) > 3 else "")
    addr = f"{ln.address:04X}" if ln.data or ln.statement.label else ""
    text = f"{addr:<4}  {shown:<9} {cycles_text(ln):<8} {ln.text}".rstrip()
    return f"{text:<72} [{ln.note}]" if ln.note else text


def listing(lines: list[ListingLine], head: list[str] = (),
            before: dict[int, list[str]] | None = None, tail: list[str] = ()) -> str:
    """The listing text: ``head`` lines, the legend and column names, a row per line (with
    ``before[i]`` printed above row ``i``), then ``tail``."""
    out = list(head) + [LEGEND, "", HEAD]
    for i, ln in enumerate(lines):
        out += (before or {}).get(i, [])
        out.append(row(ln))
    return "\n".join(out + list(tail)) + "\n"
