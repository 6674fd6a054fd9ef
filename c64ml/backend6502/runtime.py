"""The hand-written 6502 routines in ``runtime6502/`` (shipped as package data) and their
headers, parsed: the one place the header schema (runtime6502/README.md) is read."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from c64ml.errors import C64mlError

#: The runtime files an inference program needs, in the order they are assembled.
INFERENCE_FILES = ("activate.s", "requant.s", "argmax.s", "dense.s", "layer.s")
#: The runtime files a program with wide layers (c64ml/backend6502/wide.py) adds.
WIDE_FILES = ("wide.s", "rq32.s", "mul8.s")
#: The runtime file a program with a layer on sparse rows (LoopForm.SPARSE) adds.
SPARSE_FILES = ("sparse.s",)
#: The runtime files a driver program (the app, the demos) adds to print and time.
DRIVER_FILES = ("print.s", "timer.s")
#: The runtime files of learning on the C64 (c64ml/learn, docs/learning.md).
LEARN_FILES = ("learn.s", "shuffle.s", "mul8.s")

#: The header's fields, in the order they must appear; all but Imports are required.
FIELDS = ("Inputs", "Outputs", "Clobbers", "Zero page", "Cycles", "Requires", "Imports")
SQ_TABLES = "SQ tables"  # a Requires item: c64ml.backend6502.sqtables.tables_source()
_FIRST = re.compile(r"; (\S+\.s) - (\S.*)$")
_FIELDISH = re.compile(r";\s?([A-Z][a-z]*(?: [a-z]+)?):(.*)$")  # "; Word:" or "; Two words:"
_ZP_ITEM = re.compile(r"\$([0-9A-F]{2})(?:-\$([0-9A-F]{2}))?$")
_ZP_NOTES = {"(saved and restored)": True, "(not restored)": False}
_SYMBOL = re.compile(r"[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class RoutineHeader:
    """The contract one runtime file states in its header."""

    name: str  # "dense.s"
    summary: str  # the first line's text after "dense.s - "
    inputs: str
    outputs: str
    clobbers: str
    zero_page: frozenset[int]  # every zero-page address the file's code uses
    zero_page_restored: bool  # saved and restored (True when it uses none)
    cycles: str
    requires: tuple[str, ...]  # runtime files it needs directly, as listed
    sq_tables: bool  # it needs the quarter-square tables
    imports: tuple[str, ...]  # symbols the program supplies


def parse_header(text: str, name: str) -> RoutineHeader:
    """Parse the header (the leading comment block) of runtime file ``name``; C64mlError
    naming the line for anything that departs from the schema."""
    lines = []
    for line in text.splitlines():
        if not line.startswith(";"):
            break
        lines.append(line.rstrip())
    first = _FIRST.match(lines[0]) if lines else None
    if not first or first[1] != name:
        raise C64mlError(f"the first line should read '; {name} - what it does'", name, "line 1")
    fields: dict[str, list[str]] = {}
    current = None
    for number, line in enumerate(lines[1:], start=2):
        m = _FIELDISH.match(line)
        if m:
            field = m[1]
            if field not in FIELDS:
                raise C64mlError(f"'{field}:' is not a header field (fields: "
                                 f"{', '.join(FIELDS)}); reword it or drop the colon",
                                 name, f"line {number}")
            if field in fields or (fields and FIELDS.index(field) < FIELDS.index(current)):
                raise C64mlError(f"'{field}:' is repeated or out of order (order: "
                                 f"{', '.join(FIELDS)})", name, f"line {number}")
            fields[field] = [m[2].strip()]
            current = field
        elif current is not None:
            if line != ";" and not line.startswith(";  "):
                raise C64mlError("after the first field, header lines continue a field "
                                 "(indented) or are blank", name, f"line {number}")
            fields[current].append(line[1:].strip())
    missing = [f for f in FIELDS[:-1] if f not in fields]
    if missing:
        raise C64mlError(f"the header has no {', '.join(missing)} field", name)
    value = {f: "\n".join(v).strip() for f, v in fields.items()}
    zero_page, restored = _zero_page(fields["Zero page"][0], name)
    requires = _items(value["Requires"], name, "Requires")
    for item in requires:
        if item != SQ_TABLES and not item.endswith(".s"):
            raise C64mlError(f"Requires: {item!r} is neither a runtime file (NAME.s) nor "
                             f"'{SQ_TABLES}'", name)
    imports = _items(value.get("Imports", "none"), name, "Imports")
    for item in imports:
        if not _SYMBOL.match(item):
            raise C64mlError(f"Imports: {item!r} is not a symbol name", name)
    return RoutineHeader(name, first[2], value["Inputs"], value["Outputs"], value["Clobbers"],
                         zero_page, restored, value["Cycles"],
                         tuple(i for i in requires if i != SQ_TABLES), SQ_TABLES in requires,
                         imports)


def _items(text: str, name: str, field: str) -> tuple[str, ...]:
    """A comma-separated list, or ``none``."""
    if text == "none":
        return ()
    items = tuple(i.strip() for i in text.replace("\n", " ").split(","))
    if not all(items):
        raise C64mlError(f"{field}: write a comma-separated list, or 'none'", name)
    return items


def _zero_page(text: str, name: str) -> tuple[frozenset[int], bool]:
    """``none``, or ``$FB`` / ``$02-$03, $FB`` followed by ``(saved and restored)`` or
    ``(not restored)``."""
    if text == "none":
        return frozenset(), True
    addrs, _, note = text.partition(" (")
    note = "(" + note
    out: set[int] = set()
    for item in addrs.split(","):
        m = _ZP_ITEM.match(item.strip())
        if not m or note not in _ZP_NOTES:
            raise C64mlError("Zero page: write 'none', or addresses such as '$FB' or "
                             "'$02-$03, $FB' then '(saved and restored)' or '(not restored)'",
                             name)
        lo = int(m[1], 16)
        out |= set(range(lo, int(m[2] or m[1], 16) + 1))
    return frozenset(out), _ZP_NOTES[note]


@cache
def runtime_files() -> tuple[str, ...]:
    """Every runtime file, by name, sorted."""
    return tuple(sorted(p.name for p in resources.files("runtime6502").iterdir()
                        if p.name.endswith(".s")))


def runtime_source(name: str) -> str:
    """The text of one runtime file, e.g. ``"dense.s"``."""
    return resources.files("runtime6502").joinpath(name).read_text(encoding="utf-8")


@cache
def header(name: str) -> RoutineHeader:
    """The parsed header of runtime file ``name``."""
    return parse_header(runtime_source(name), name)


def requirements(name: str) -> tuple[str, ...]:
    """The runtime files ``name`` needs, transitively, dependencies first (``name`` not
    included)."""
    out: list[str] = []

    def visit(n: str, path: tuple[str, ...]) -> None:
        for dep in header(n).requires:
            if dep in path:
                raise C64mlError(f"circular Requires: {' -> '.join(path + (dep,))}", n)
            if dep not in runtime_files():
                raise C64mlError(f"Requires: {dep} is not a runtime file", n)
            visit(dep, path + (dep,))
            if dep not in out:
                out.append(dep)

    visit(name, (name,))
    return tuple(out)


def inference_files(wide: bool = False, sparse: bool = False) -> tuple[str, ...]:
    """The runtime files an inference program assembles: WIDE_FILES too if it has wide layers,
    SPARSE_FILES if it has a layer on sparse rows."""
    return INFERENCE_FILES + (WIDE_FILES if wide else ()) + (SPARSE_FILES if sparse else ())


def inference_runtime(wide: bool = False, sparse: bool = False) -> str:
    """All runtime files an inference program needs, concatenated."""
    return "\n".join(f"; ---- runtime6502/{name} ----\n" + runtime_source(name)
                     for name in inference_files(wide, sparse))
