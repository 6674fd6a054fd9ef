"""Source lines of the c64ml assembly syntax parsed into plain statements.

See docs/assembly.md for the syntax. Parsing is purely syntactic: which of
zero page or absolute an operand uses is decided by the assembler.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from c64ml.asm.expr import Expr, Token, parse_expr, symbols_in, tokenize
from c64ml.asm.opcodes import MNEMONICS
from c64ml.errors import C64mlError

MAX_LINE = 8192  # characters in one source line
#: Limits that keep the assembler's time and memory bounded (docs/assembly.md): a program
#: is at most 64 KiB, so a real source is far below them (c64ml's largest generated
#: sources have about 20,000 lines and 400 KB).
MAX_SOURCE_CHARS = 4 * 1024 * 1024
MAX_LINES = 250_000

# Operand syntax as written; the assembler maps it onto an opcode mode.
# mem/memx/memy become zp/zpx/zpy or abs/abx/aby (or rel for branches).
OPERAND_SYNTAX = ("imp", "acc", "imm", "mem", "memx", "memy", "ind", "izx", "izy")

DIRECTIVES = (".byte", ".word", ".res", ".align", ".org")

# Names that would clash with registers, mnemonics or operators in c64ml or
# in the assemblers it exports to (ACME, 64tass, ca65). Compared lower-case.
RESERVED = frozenset(MNEMONICS) | {"a", "x", "y", "s", "z", "f", "r", "div", "mod", "or", "xor",
                                   "not", "true", "false"}

# Well-known undocumented NMOS opcodes, named so the error can say so.
UNDOCUMENTED = frozenset({"lax", "sax", "dcp", "isc", "isb", "slo", "rla", "sre", "rra", "anc",
                          "alr", "asr", "arr", "sbx", "axs", "las", "lae", "tas", "shs", "shx",
                          "shy", "sha", "ahx", "xaa", "ane", "jam", "kil", "hlt", "dop", "top",
                          "skb", "skw", "lxa", "usbc", "ins", "dcm", "aso", "lse", "axa", "sxa",
                          "sya", "xas", "atx", "oal"})


@dataclass(slots=True)
class Statement:
    """One source line. ``args`` holds expressions (``.byte`` strings as bytes)."""
    line: int                        # 1-based line number
    text: str                        # the line as written (without newline)
    label: str | None = None         # "name" or "@name" defined on this line
    kind: str = "none"               # none insn const byte word res align org
    mnemonic: str | None = None      # lower case
    operand: str | None = None       # one of OPERAND_SYNTAX
    force_abs: bool = False          # operand written as a:expr
    args: list = field(default_factory=list)
    name: str | None = None          # constant defined by "name = expr"
    comment: str | None = None       # text after ';', without the ';'
    scope: str | None = None         # normal symbol that opened this line's cheap-local scope


def symbol_key(name: str, scope: str | None) -> str:
    """Symbol table key: names are case-insensitive; a cheap local is qualified by its scope."""
    return f"{(scope or '').lower()}{name.lower()}" if name.startswith("@") else name.lower()


def parse(source: str, filename: str = "<source>") -> list[Statement]:
    """Parse a whole source text into statements, one per line."""
    if len(source) > MAX_SOURCE_CHARS:
        raise C64mlError(f"source is {len(source)} characters; the limit is {MAX_SOURCE_CHARS} "
                         "(4 MiB)", filename)
    lines = source.count("\n") + (not source.endswith("\n"))
    if lines > MAX_LINES:
        raise C64mlError(f"source has {lines} lines; the limit is {MAX_LINES}", filename)
    statements: list[Statement] = []
    scope: str | None = None
    texts = source.split("\n")
    if len(texts) > 1 and texts[-1] == "":
        texts.pop()  # the newline that ends the last line
    for number, text in enumerate(texts, 1):
        if text.endswith("\r"):
            text = text[:-1]
        try:
            st = parse_line(text, number)
            if st.name is not None or (st.label and not st.label.startswith("@")):
                scope = st.name or st.label
            st.scope = scope
            if scope is None and _uses_local(st):
                raise C64mlError("a cheap local label (@name) needs a normal label before it")
        except C64mlError as e:
            raise e.at(filename, f"line {number}") from None
        statements.append(st)
    return statements


def parse_line(text: str, number: int = 1) -> Statement:
    """Parse one line (no scope is filled in)."""
    if len(text) > MAX_LINE:
        raise C64mlError(f"line is longer than {MAX_LINE} characters")
    tokens, comment = tokenize(text)
    st = Statement(number, text, comment=comment)
    if len(tokens) >= 2 and tokens[0][0] in ("ident", "local") and tokens[1][0] == ":":
        st.label = _check_name(tokens[0])
        tokens = tokens[2:]
    if not tokens:
        return st
    head = tokens[0]
    if len(tokens) >= 2 and tokens[1][0] == "=":
        if head[0] != "ident":
            raise C64mlError("a constant needs a normal name (not a cheap local)")
        if st.label:
            raise C64mlError("a label and a constant cannot share a line")
        st.kind, st.name = "const", _check_name(head)
        st.args = [parse_expr(tokens[2:])]
    elif head[0] == "dir":
        _directive(st, head[1], tokens[1:])
    elif head[0] == "ident":
        _instruction(st, head[1].lower(), tokens[1:])
    else:
        raise C64mlError(f"unexpected {head[1]!r}; expected a label, instruction or directive")
    return st


def _check_name(tok: Token) -> str:
    name = tok[1]
    if not name.startswith("@") and name.lower() in RESERVED:
        raise C64mlError(f"{name!r} is reserved and cannot be a symbol name")
    return name


def _uses_local(st: Statement) -> bool:
    names = [n for a in st.args if isinstance(a, tuple) for n in symbols_in(a)]
    return any(n.startswith("@") for n in names + [st.label or ""])


def _split_commas(tokens: list[Token]) -> list[list[Token]]:
    parts: list[list[Token]] = [[]]
    depth = 0
    for tok in tokens:
        depth += {"(": 1, ")": -1}.get(tok[0], 0)
        if tok[0] == "," and depth == 0:
            parts.append([])
        else:
            parts[-1].append(tok)
    return parts


def _directive(st: Statement, name: str, tokens: list[Token]) -> None:
    if name not in DIRECTIVES:
        raise C64mlError(f"unknown directive {name}")
    if name == ".org" and st.label:
        raise C64mlError("a label cannot share a line with .org; put it on the next line")
    st.kind = name[1:]
    parts = _split_commas(tokens) if tokens else []
    if any(not p for p in parts) or not parts:
        raise C64mlError(f"{name} needs {'values' if name in ('.byte', '.word') else 'a value'}"
                         " separated by commas")
    limits = {".res": 2, ".align": 2, ".org": 1}
    if name in limits and len(parts) > limits[name]:
        raise C64mlError(f"{name} takes at most {limits[name]} value(s)")
    for part in parts:
        if name == ".byte" and len(part) == 1 and part[0][0] == "str":
            if not part[0][2]:
                raise C64mlError("empty string in .byte")
            st.args.append(part[0][2])
        else:
            st.args.append(parse_expr(part))


def _instruction(st: Statement, mnemonic: str, tokens: list[Token]) -> None:
    if mnemonic not in MNEMONICS:
        if mnemonic in UNDOCUMENTED:
            raise C64mlError(f"{mnemonic!r} is an undocumented opcode; c64ml emits only the 151 "
                             "documented NMOS opcodes")
        raise C64mlError(f"unknown instruction {mnemonic!r}")
    st.kind, st.mnemonic = "insn", mnemonic
    if not tokens:
        st.operand = "imp"
        return
    if len(tokens) == 1 and tokens[0][0] == "ident" and tokens[0][1].lower() == "a":
        st.operand = "acc"
        return
    if tokens[0][0] == "#":
        st.operand, st.args = "imm", [parse_expr(tokens[1:])]
        return
    if len(tokens) >= 2 and tokens[0][0] == "ident" and tokens[0][1].lower() == "a" \
            and tokens[1][0] == ":":
        st.force_abs = True
        tokens = tokens[2:]
    index = _index_suffix(tokens)
    if tokens and tokens[0][0] == "(" and not st.force_abs:
        close = _matching_paren(tokens)
        if close == len(tokens) - 1:
            inner = tokens[1:close]
            if _index_suffix(inner) == "x":
                st.operand, st.args = "izx", [parse_expr(inner[:-2])]
            else:
                st.operand, st.args = "ind", [parse_expr(inner)]
            return
        if close == len(tokens) - 3 and index == "y":
            st.operand, st.args = "izy", [parse_expr(tokens[1:close])]
            return
    if index:
        st.operand, st.args = "mem" + index, [parse_expr(tokens[:-2])]
    else:
        st.operand, st.args = "mem", [parse_expr(tokens)]


def _index_suffix(tokens: list[Token]) -> str | None:
    if len(tokens) >= 2 and tokens[-2][0] == "," and tokens[-1][0] == "ident" \
            and tokens[-1][1].lower() in ("x", "y"):
        return tokens[-1][1].lower()
    return None


def _matching_paren(tokens: list[Token]) -> int:
    depth = 0
    for i, tok in enumerate(tokens):
        if tok[0] == "(":
            depth += 1
        elif tok[0] == ")":
            depth -= 1
            if depth == 0:
                return i
    raise C64mlError("missing ')'")


def expr_args(st: Statement) -> list[Expr]:
    """The expression arguments of a statement (strings left out)."""
    return [a for a in st.args if isinstance(a, tuple)]
