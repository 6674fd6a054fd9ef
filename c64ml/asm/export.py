"""Re-emit c64ml assembly for ACME, 64tass or ca65, keeping labels, constants and comments.

The exported source assembles to exactly the bytes of ``assemble(...).data``:
operands c64ml placed in absolute mode although their value is below $100 are
forced absolute (ACME ``lda+2``, 64tass ``lda @w``, ca65 ``lda a:``); every
expression is fully parenthesised, because ``<``/``>`` bind differently in
each assembler; negative bytes and words are masked (``& $ff``); ``.org`` after
the first byte becomes an explicit fill. See docs/assembly.md.
"""

from __future__ import annotations

from c64ml.asm.assembler import DEFAULT_ORIGIN, ListingLine, Program, assemble
from c64ml.asm.expr import Expr, evaluate, is_leaf, symbols_in, uses_pc
from c64ml.asm.opcodes import BY_NAME
from c64ml.asm.parse import Statement, parse, symbol_key
from c64ml.errors import C64mlError

SYNTAXES = ("acme", "64tass", "ca65")

# Characters kept inside exported string and character literals; others become numbers.
SAFE_TEXT = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 "
                      "!#$%&()*+,-./:<=>?@[]^_{|}~")

_EXT = {"acme": ".a", "64tass": ".s", "ca65": ".s"}
_DIRECTIVE = {  # c64ml directive -> per-syntax spelling
    "acme": {"byte": "!byte", "text": "!raw", "word": "!word", "res": "!fill"},
    "64tass": {"byte": ".byte", "text": ".text", "word": ".word", "res": ".fill"},
    "ca65": {"byte": ".byte", "text": ".byte", "word": ".word", "res": ".res"},
}
_ZP_OF = {"abs": "zp", "abx": "zpx", "aby": "zpy"}
_COMMAND = {
    "acme": "acme -f plain -o {stem}.bin {stem}.a",
    "64tass": "64tass --nostart -o {stem}.bin {stem}.s",
    "ca65": "ca65 -o {stem}.o {stem}.s && ld65 -C {stem}.cfg -o {stem}.bin {stem}.o",
}


def export(source: str | list[Statement], syntax: str, filename: str = "program.s",
           origin: int = DEFAULT_ORIGIN, defines: dict[str, int] | None = None) -> dict[str, str]:
    """Translate c64ml source to ``syntax``; returns {file name: text}.

    File names are ``filename``'s stem plus ``.a`` (ACME) or ``.s``, and for
    ca65 also ``.cfg``, an ld65 config that writes the raw image (no load address).
    """
    if syntax not in SYNTAXES:
        raise C64mlError(f"unknown assembler syntax {syntax!r}; choose one of {', '.join(SYNTAXES)}")
    statements = parse(source, filename) if isinstance(source, str) else source
    program = assemble(statements, filename, origin, defines)
    stem = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "program"
    writer = _Writer(syntax, program, defines or {})
    files = {stem + _EXT[syntax]: writer.source(stem, filename)}
    if syntax == "ca65":
        files[stem + ".cfg"] = _ld65_config(program)
    return files


def _ld65_config(program: Program) -> str:
    start = program.origin
    return ("# ld65 config written by c64ml: the raw image, no load address.\n"
            "# For a PRG, prepend the two bytes $%02X $%02X (the load address).\n"
            "MEMORY {\n"
            "    MAIN: start = $%04X, size = $%X, file = %%O;\n"
            "}\n"
            "SEGMENTS {\n"
            "    CODE: load = MAIN, type = rw;\n"
            "}\n") % (start & 0xFF, start >> 8, start, 0x10000 - start)


class _Writer:
    def __init__(self, syntax: str, program: Program, defines: dict[str, int]) -> None:
        self.syntax = syntax
        self.program = program
        self.defines = defines
        self.names = {k.lower(): k for k in list(program.symbols) + list(program.local_symbols)}
        self.values = {k.lower(): v for k, v in
                       list(program.symbols.items()) + list(program.local_symbols.items())}
        self.local_names = self._local_names() if syntax != "ca65" else {}
        self.unsure = self._unsure() if syntax == "acme" else set()

    # -- names ------------------------------------------------------------------------------
    def _local_names(self) -> dict[str, str]:
        """Rename cheap locals whose c64ml scopes merge into one ACME/64tass zone.

        c64ml (like ca65) opens a new cheap-local scope at every normal symbol,
        constants included; ACME and 64tass only at labels.
        """
        renamed: dict[str, str] = {}
        used: set[tuple[str, str]] = set()
        zone = ""
        for ln in self.program.lines:
            st = ln.statement
            if st.label and not st.label.startswith("@"):
                zone = st.label.lower()
            if st.label and st.label.startswith("@"):
                key = symbol_key(st.label, st.scope)
                base = self.names[key][self.names[key].index("@"):]
                name, n = base, 1
                while (zone, name.lower()) in used:
                    n += 1
                    name = f"{base}_{n}"
                used.add((zone, name.lower()))
                renamed[key] = name
        return renamed

    def _unsure(self) -> set[str]:
        """Symbols ACME keeps 16-bit: used before their definition, or computed from such.

        ACME marks a symbol referenced before it is defined and then assembles
        every later use in absolute mode, even where c64ml chose zero page.
        """
        defined: set[str] = set()
        unsure: set[str] = set()
        for ln in self.program.lines:
            st = ln.statement
            if st.label:
                key = symbol_key(st.label, st.scope)
                defined.add(key)
            refs = {symbol_key(n, st.scope) for a in st.args if isinstance(a, tuple)
                    for n in symbols_in(a)}
            unsure |= refs - defined
            if st.name:
                key = st.name.lower()
                if refs & unsure:
                    unsure.add(key)
                defined.add(key)
        return unsure

    def symbol(self, name: str, scope: str | None) -> str:
        if not name.startswith("@"):
            return self.names.get(name.lower(), name)
        key = symbol_key(name, scope)
        local = self.local_names.get(key) or self.names.get(key, name)
        local = local[local.index("@"):]
        return "_" + local[1:] if self.syntax == "64tass" else local

    # -- expressions ------------------------------------------------------------------------
    def value(self, e: Expr, st: Statement, pc: int) -> int:
        def lookup(n: str) -> int | None:
            return self.values.get(symbol_key(n, st.scope))
        v = evaluate(e, lookup, pc)
        assert v is not None, "assembled program has every symbol"
        return v

    def expr(self, e: Expr, st: Statement, pc: int, star: bool = True) -> str:
        """Format ``e``; ``star`` False writes the address instead of ``*``."""
        kind = e[0]
        if kind == "num":
            return self._number(e[1], e[2])
        if kind == "sym":
            return self.symbol(e[1], st.scope)
        if kind == "pc":
            return "*" if star else f"${pc:04X}"
        if self.syntax == "64tass" and self._wraps(e, st, pc):
            return self._number(self.value(e, st, pc), None)
        sub = [self._group(c, st, pc, star) for c in e[1:]]
        if kind in ("neg", "lo", "hi"):
            return {"neg": "-", "lo": "<", "hi": ">"}[kind] + sub[0]
        if kind == "/" and self.syntax == "64tass":  # 64tass floors; c64ml truncates
            a, b = self.value(e[1], st, pc), self.value(e[2], st, pc)
            if (a < 0) != (b < 0) and a % b:
                return self._number(self.value(e, st, pc), None)
        return f"{sub[0]} {kind} {sub[1]}"

    def _wraps(self, e: Expr, st: Statement, pc: int) -> bool:
        """True where 64tass would differ: it wraps arithmetic on addresses (labels, ``*``)
        to 16 bits, so a label-based value outside 0..$FFFF is written as a number."""
        return not 0 <= self.value(e, st, pc) <= 0xFFFF and \
            (bool(symbols_in(e)) or uses_pc(e))

    def _group(self, e: Expr, st: Statement, pc: int, star: bool) -> str:
        text = self.expr(e, st, pc, star)
        return text if is_leaf(e) and not text.startswith("-") else f"({text})"

    def _number(self, value: int, text: str | None) -> str:
        if text is None:
            return f"-${-value:X}" if value < 0 else f"${value:X}"
        if text.startswith("'"):
            return text if text[1] in SAFE_TEXT and text[1] != "'" else f"${value:02X}"
        if self.syntax == "acme" and text[0] in "$%":
            # ACME reads leading zeros as "force 16 bit"; c64ml goes by value.
            return text[0] + (text[1:].lstrip("0") or "0")
        return text

    def masked(self, e: Expr, st: Statement, pc: int, mask: int, star: bool = True) -> str:
        """An expression, masked to a byte/word when its value is negative."""
        text = self.expr(e, st, pc, star)
        if self.value(e, st, pc) < 0:
            return f"({text}) & ${mask:X}"
        return text

    # -- statements -------------------------------------------------------------------------
    def source(self, stem: str, filename: str) -> str:
        s = self.syntax
        out = [f"; {stem}{_EXT[s]}: exported by c64ml from {filename} for {s}",
               f"; build: {_COMMAND[s].format(stem=stem)}"]
        for name, value in self.defines.items():
            out.append(f"{self.names.get(name.lower(), name)} = {value}")
        origin = self.program.origin if not self.program.lines else self.program.lines[0].address
        out.append(f".org ${origin:04X}" if s == "ca65" else f"* = ${origin:04X}")
        started = False
        for ln in self.program.lines:
            out.extend(self.statement(ln, started))
            started = started or bool(ln.data)
        return "\n".join(out) + "\n"

    def statement(self, ln: ListingLine, started: bool) -> list[str]:
        st, s = ln.statement, self.syntax
        label = ""
        if st.label:
            label = self.symbol(st.label, st.scope) + (":" if s == "ca65" else "")
        bodies = self.body(ln, started)
        comment = f"; {st.comment.strip()}" if st.comment is not None else ""
        if not bodies:
            if not label:
                return [comment if st.text[:1] == ";" or not comment else "\t" + comment]
            bodies = [""]
        lines = []
        for i, body in enumerate(bodies):
            first = label if i == 0 else ""
            if st.kind == "const":
                text = body
            else:
                text = f"{first}\t{body}" if body else first
            if i == len(bodies) - 1 and comment:
                text = f"{text}\t{comment}" if text else comment
            lines.append(text.rstrip())
        return lines

    def body(self, ln: ListingLine, started: bool) -> list[str]:
        st, pc, s = ln.statement, ln.address, self.syntax
        d = _DIRECTIVE[s]
        kind = st.kind
        if kind == "const":
            return [f"{self.symbol(st.name, None)} = {self.expr(st.args[0], st, pc)}"]
        if kind == "insn":
            return [self.instruction(ln)]
        if kind == "byte":
            return [self.data_bytes(st, pc)]
        if kind == "word":
            words = [self.masked(a, st, pc, 0xFFFF, i == 0) for i, a in enumerate(st.args)]
            return [f"{d['word']} " + ", ".join(words)]
        if kind == "res":
            return [f"{d['res']} " + ", ".join(self._count_fill(st, pc))]
        if kind == "align":
            n, fill = self._count_fill(st, pc)
            g = self._group(st.args[0], st, pc, True)
            if s == "acme":
                return [f"!align {g} - 1, 0, {fill}"]
            if s == "64tass":
                return [f".align {n}, {fill}"]
            return [f".res ({g} - (* .mod {g})) .mod {g}, {fill}\t; .align {n}"]
        if kind == "org":
            target = self.expr(st.args[0], st, pc)
            if not started:
                return [f".org {target}" if s == "ca65" else f"* = {target}"]
            g = self._group(st.args[0], st, pc, True)
            return [f"{d['res']} {g} - *, 0\t; .org {target}"]
        return []

    def _count_fill(self, st: Statement, pc: int) -> list[str]:
        count = self.expr(st.args[0], st, pc)
        fill = self.masked(st.args[1], st, pc, 0xFF, False) if len(st.args) > 1 else "0"
        return [count, fill]

    def data_bytes(self, st: Statement, pc: int) -> str:
        d = _DIRECTIVE[self.syntax]
        items, has_text = [], False
        for i, a in enumerate(st.args):
            if isinstance(a, bytes):
                text = a.decode("ascii")
                if all(c in SAFE_TEXT for c in text) and text:
                    items.append(f'"{text}"')
                    has_text = True
                else:
                    items.extend(f"${b:02X}" for b in a)
            else:
                items.append(self.masked(a, st, pc, 0xFF, i == 0))
        return (d["text"] if has_text else d["byte"]) + " " + ", ".join(items)

    def instruction(self, ln: ListingLine) -> str:
        st, op, pc, s = ln.statement, ln.opcode, ln.address, self.syntax
        m = op.mnemonic
        mode = op.mode
        if mode in ("imp", "acc"):
            return m
        if mode == "imm":
            return f"{m} #" + (f"({self.masked(st.args[0], st, pc, 0xFF)})"
                               if ln.value is not None and self.value(st.args[0], st, pc) < 0
                               else self.expr(st.args[0], st, pc))
        e = self.expr(st.args[0], st, pc)
        if mode == "ind":
            return f"{m} ({e})"
        if mode == "izx":
            return f"{m} ({e},x)"
        if mode == "izy":
            return f"{m} ({e}),y"
        if e.startswith("("):
            e = "0+" + e  # a leading parenthesis would read as indirect
        suffix = {"zpx": ",x", "abx": ",x", "zpy": ",y", "aby": ",y"}.get(mode, "")
        force = mode in _ZP_OF and ln.value is not None and ln.value < 0x100 \
            and (m, _ZP_OF[mode]) in BY_NAME
        if s == "acme" and mode in ("zp", "zpx", "zpy") and \
                any(symbol_key(n, st.scope) in self.unsure for n in symbols_in(st.args[0])):
            return f"{m}+1 {e}{suffix}"
        if force:
            if s == "acme":
                return f"{m}+2 {e}{suffix}"
            if s == "64tass":
                return f"{m} @w {e}{suffix}"
            return f"{m} a:{e}{suffix}"
        return f"{m} {e}{suffix}"
