"""Strict, bounded JSON reading and small field checkers shared by the model file formats.

Every failure is a C64mlError naming the file and the offending field, e.g.
``model.json: layers[0].weights[3][1]: expected a finite number``.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

from c64ml.errors import C64mlError
from c64ml.fileio import read_bytes

MAX_JSON_BYTES = 32 * 1024 * 1024
MAX_DEPTH = 64


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _depth_ok(text: str, limit: int) -> bool:
    """Cheap pre-scan so a deeply nested file never reaches the recursive parser."""
    depth = 0
    in_str = False
    esc = False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return False
        elif ch in "]}":
            depth -= 1
    return True


def load_json(path: str | os.PathLike, what: str) -> Any:
    """Read a JSON file with a size cap, a nesting cap, and no NaN/Infinity."""
    raw = read_bytes(path, MAX_JSON_BYTES, what)
    if not raw.strip():
        raise C64mlError("file is empty", path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise C64mlError(f"not a JSON {what}: not UTF-8 text (byte {e.start})", path) from None
    if not _depth_ok(text, MAX_DEPTH):
        raise C64mlError(f"JSON is nested more than {MAX_DEPTH} levels deep", path)
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise C64mlError(f"not valid JSON: {e.msg} at line {e.lineno} column {e.colno}",
                         path) from None
    except (ValueError, RecursionError) as e:
        raise C64mlError(f"not valid JSON: {e}", path) from None


def dump_json(obj: Any) -> str:
    """Serialise compactly but readably: one layer matrix row per line is not needed by tools."""
    return json.dumps(obj, indent=1, allow_nan=False) + "\n"


# --- field checkers -------------------------------------------------------


def need(obj: Any, key: str, field: str) -> Any:
    if not isinstance(obj, dict):
        raise C64mlError("expected a JSON object", field=field or "top level")
    if key not in obj:
        raise C64mlError("missing", field=f"{field}.{key}" if field else key)
    return obj[key]


def as_int(v: Any, field: str, lo: int, hi: int) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise C64mlError(f"expected an integer in {lo}..{hi}", field=field)
    if isinstance(v, float):
        if not math.isfinite(v) or v != int(v):
            raise C64mlError(f"expected an integer in {lo}..{hi}", field=field)
        v = int(v)
    if not lo <= v <= hi:
        raise C64mlError(f"{v} is out of range {lo}..{hi}", field=field)
    return v


def as_float(v: Any, field: str, limit: float = 1e30) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise C64mlError("expected a finite number", field=field)
    try:
        f = float(v)
    except OverflowError:
        raise C64mlError("number is too large", field=field) from None
    if not math.isfinite(f):
        raise C64mlError("expected a finite number", field=field)
    if abs(f) > limit:
        raise C64mlError(f"{f:g} is beyond the allowed magnitude {limit:g}", field=field)
    return f


def as_list(v: Any, field: str, min_len: int, max_len: int) -> list:
    if not isinstance(v, list):
        raise C64mlError("expected a list", field=field)
    if not min_len <= len(v) <= max_len:
        raise C64mlError(f"has {len(v)} entries; expected {min_len}..{max_len}", field=field)
    return v


def as_choice(v: Any, field: str, choices: tuple[str, ...]) -> str:
    if not isinstance(v, str) or v not in choices:
        raise C64mlError(f"expected one of {', '.join(choices)}", field=field)
    return v
