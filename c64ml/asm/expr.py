"""Tokens and expressions of the c64ml assembly syntax.

An expression is a plain tuple tree:

* ``("num", value, text)`` a literal, ``text`` as written (``$ff``, ``%101``, ``'a'``, ``12``)
* ``("sym", name)`` a symbol; cheap locals keep their ``@``
* ``("pc",)`` the address of the current statement (``*``)
* ``("neg", e)``, ``("lo", e)``, ``("hi", e)`` unary minus, low byte ``<``, high byte ``>``
* ``(op, a, b)`` with ``op`` one of ``+ - * /`` (``/`` truncates toward zero)

Every intermediate value must fit in a signed 32-bit integer, so results are
the same in ACME, 64tass and ca65.
"""

from __future__ import annotations

import re
from typing import Callable

from c64ml.errors import C64mlError

VALUE_LIMIT = 1 << 31       # |value| must stay below this
MAX_DEPTH = 32              # nesting of parentheses and unary operators
MAX_NAME = 100              # characters in a symbol name
MAX_OPERATORS = 100         # binary operators in one expression

Expr = tuple
Token = tuple  # (kind, text, value)

_TOKEN = re.compile(r"""
    (?P<ws>[ \t]+)
  | (?P<comment>;[^\x00-\x08\x0a-\x1f\x7f-\x9f]*)
  | (?P<hex>\$[0-9A-Za-z_]+)
  | (?P<bin>%[0-9A-Za-z_]+)
  | (?P<dec>[0-9][0-9A-Za-z_]*)
  | (?P<char>'[\x20-\x7e]')
  | (?P<str>"[\x20\x21\x23-\x7e]*")
  | (?P<local>@[A-Za-z_][A-Za-z0-9_]*)
  | (?P<dir>\.[A-Za-z]+)
  | (?P<ident>[A-Za-z][A-Za-z0-9_]*)
  | (?P<punct>[#(),+\-*/<>:=])
""", re.VERBOSE)

_DIGITS = {"hex": (16, "0123456789abcdef", 8), "bin": (2, "01", 32), "dec": (10, "0123456789", 10)}


def tokenize(text: str) -> tuple[list[Token], str | None]:
    """Split one source line into tokens; returns (tokens, comment-or-None).

    Token kinds: ``num`` (value int), ``str`` (value: the bytes), ``local``,
    ``dir`` (lower-cased), ``ident``, and single-character punctuation.
    """
    tokens: list[Token] = []
    pos, end = 0, len(text)
    while pos < end:
        m = _TOKEN.match(text, pos)
        if m is None:
            ch = text[pos]
            shown = repr(ch) if ch.isprintable() else f"\\x{ord(ch):02x}"
            if ch in "'\"":
                raise C64mlError(f"unterminated or invalid {'character' if ch == chr(39) else 'string'} literal")
            raise C64mlError(f"unexpected character {shown}")
        kind, tok = m.lastgroup, m.group()
        pos = m.end()
        if kind == "ws":
            continue
        if kind == "comment":
            if pos != end:
                raise C64mlError(f"unexpected character \\x{ord(text[pos]):02x} in comment")
            return tokens, tok[1:]
        if kind in _DIGITS:
            tokens.append(("num", tok, _number(kind, tok)))
        elif kind == "char":
            tokens.append(("num", tok, ord(tok[1])))
        elif kind == "str":
            tokens.append(("str", tok, tok[1:-1].encode("ascii")))
        elif kind in ("local", "ident"):
            if len(tok) > MAX_NAME:
                raise C64mlError(f"name is longer than {MAX_NAME} characters")
            tokens.append((kind, tok, None))
        elif kind == "dir":
            tokens.append(("dir", tok.lower(), None))
        else:
            tokens.append((tok, tok, None))
    return tokens, None


def _number(kind: str, tok: str) -> int:
    base, digits, max_len = _DIGITS[kind]
    body = tok[1:] if kind != "dec" else tok
    if any(c not in digits for c in body.lower()):
        raise C64mlError(f"bad number {tok[:20]!r}")
    body = body.lstrip("0") or "0"
    if len(body) > max_len or int(body, base) >= VALUE_LIMIT:
        raise C64mlError(f"number {tok[:20]} is too large")
    return int(body, base)


class _Parser:
    """Recursive descent over a token list: sum := product (('+'|'-') product)*; ..."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0
        self.operators = 0

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def sum(self) -> Expr:
        left = self.product()
        while self.peek() in ("+", "-"):
            op = self._binary()
            left = (op, left, self.product())
        return left

    def product(self) -> Expr:
        left = self.unary()
        while self.peek() in ("*", "/"):
            op = self._binary()
            left = (op, left, self.unary())
        return left

    def unary(self) -> Expr:
        kind = self.peek()
        if kind in ("-", "<", ">"):
            self.take()
            self._enter()
            inner = self.unary()
            self.depth -= 1
            return ({"-": "neg", "<": "lo", ">": "hi"}[kind], inner)
        return self.primary()

    def primary(self) -> Expr:
        kind = self.peek()
        if kind is None:
            raise C64mlError("expression expected")
        tok = self.take()
        if kind == "num":
            return ("num", tok[2], tok[1])
        if kind in ("ident", "local"):
            return ("sym", tok[1])
        if kind == "*":
            return ("pc",)
        if kind == "(":
            self._enter()
            inner = self.sum()
            self.depth -= 1
            if self.peek() != ")":
                raise C64mlError("missing ')'")
            self.take()
            return inner
        if kind == "str":
            raise C64mlError("a string is allowed only as a .byte operand")
        raise C64mlError(f"unexpected {tok[1]!r} in expression")

    def _binary(self) -> str:
        self.operators += 1
        if self.operators > MAX_OPERATORS:
            raise C64mlError(f"expression has more than {MAX_OPERATORS} operators")
        return self.take()[0]

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise C64mlError(f"expression is nested more than {MAX_DEPTH} deep")


def parse_expr(tokens: list[Token]) -> Expr:
    """Parse a whole token list as one expression."""
    p = _Parser(tokens)
    e = p.sum()
    if p.i != len(tokens):
        raise C64mlError(f"unexpected {tokens[p.i][1]!r} after expression")
    return e


def evaluate(e: Expr, lookup: Callable[[str], int | None], pc: int) -> int | None:
    """The value of ``e``, or None if a symbol is not (yet) known.

    Raises C64mlError for division by zero or a value outside 32 bits.
    """
    kind = e[0]
    if kind == "num":
        return e[1]
    if kind == "sym":
        return lookup(e[1])
    if kind == "pc":
        return pc
    if kind in ("neg", "lo", "hi"):
        v = evaluate(e[1], lookup, pc)
        if v is None:
            return None
        return -v if kind == "neg" else (v & 0xFF if kind == "lo" else (v >> 8) & 0xFF)
    a = evaluate(e[1], lookup, pc)
    b = evaluate(e[2], lookup, pc)
    if a is None or b is None:
        return None
    if kind == "+":
        v = a + b
    elif kind == "-":
        v = a - b
    elif kind == "*":
        v = a * b
    else:
        if b == 0:
            raise C64mlError("division by zero")
        v = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)
    if not -VALUE_LIMIT < v < VALUE_LIMIT:
        raise C64mlError("value is outside the signed 32-bit range")
    return v


def symbols_in(e: Expr) -> list[str]:
    """Symbol names used in ``e``, in order."""
    if e[0] == "sym":
        return [e[1]]
    return [name for child in e[1:] if isinstance(child, tuple) for name in symbols_in(child)]


def uses_pc(e: Expr) -> bool:
    """True if ``e`` refers to ``*``."""
    return e[0] == "pc" or any(uses_pc(c) for c in e[1:] if isinstance(c, tuple))


def is_leaf(e: Expr) -> bool:
    return e[0] in ("num", "sym", "pc")
