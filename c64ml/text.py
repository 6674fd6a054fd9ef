"""Names are data, never code: the one place that checks a model's text fields and maps
them for every kind of output they reach.

A model's ``name`` and ``classes`` come from a file that may come from anyone.
:func:`check_label` is the rule applied when a model is made (JSON loaders and
Python constructors alike). The other functions take *any* string — they never
fail — and return text that is inert where it is pasted:

==================  ==========================================================
:func:`asm_comment`  the text of a ``;`` comment, for c64ml's assembler and the
                     ACME, 64tass and ca65 exports (which copy comments as is)
:func:`c_comment`    the inside of a C ``/* */`` comment
:func:`screen_text`  text printed on the C64 screen by CHROUT (app, demos)
:func:`d64_name`     a 1541 disk or file name derived from other text
==================  ==========================================================

No generated output puts a name in an assembly or C string literal; VICE label
files hold assembler symbols only (c64ml/package/vice.py maps those).
"""

from __future__ import annotations

import unicodedata

from c64ml.errors import C64mlError

#: The longest ``name`` and the longest class name a model may have.
MAX_LABEL = 64

#: What CHROUT prints plainly in the C64's upper-case character set (codes as ASCII).
SCREEN_CHARS = frozenset(" !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]")

#: What a 1541 disk or file name may hold: upper-case PETSCII $20-$5F without the
#: characters CBM DOS gives a meaning (``" , : * ? = $ \``).
D64_CHARS = frozenset(" !#%&'()+-./0123456789;<>@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_")
D64_NAME_LEN = 16


def _what(ch: str) -> str:
    o = ord(ch)
    if 0xD800 <= o <= 0xDFFF:
        return "a lone surrogate"
    if unicodedata.category(ch) == "Cc":
        return "a control character"
    return "a character that is not printable"


def check_label(value, field: str, max_len: int = MAX_LABEL) -> str:
    """``value`` if it is a string of at most ``max_len`` printable characters (letters of
    any script are fine; control characters, lone surrogates, format characters, line
    separators and spaces other than U+0020 are not); else one C64mlError naming ``field``,
    e.g. ``name: contains a control character (U+000A)``."""
    if not isinstance(value, str):
        raise C64mlError("expected a string", field=field)
    if len(value) > max_len:
        raise C64mlError(f"string longer than {max_len} characters", field=field)
    if not value.isprintable():  # isprintable() is False for surrogates too
        ch = next(c for c in value if not c.isprintable())
        raise C64mlError(f"contains {_what(ch)} (U+{ord(ch):04X})", field=field)
    return value


def asm_comment(text: str, max_len: int = MAX_LABEL) -> str:
    """``text`` for a ``;`` comment line: printable ASCII kept, anything else ``?``, cut to
    ``max_len``. A comment ends only at the end of its line in c64ml's assembler, ACME,
    64tass and ca65 alike, so without line breaks the text cannot become code; non-ASCII
    is replaced because c64ml refuses C1 controls and the exports should read the same
    in any editor (tests/test_text.py assembles with each tool)."""
    return "".join(c if " " <= c <= "~" else "?" for c in text[:max_len])


def c_comment(text: str, max_len: int = 60) -> str:
    """``text`` for the inside of a C comment: letters, digits and a few safe marks kept,
    anything else ``_``, so it can neither close nor nest a comment, splice lines (``\\``)
    or form a trigraph (``??``)."""
    return "".join(c if c.isascii() and (c.isalnum() or c in " _.,:+-()#") else "_"
                   for c in text)[:max_len]


def screen_text(text: str) -> str:
    """``text`` as the C64 prints it: upper case, one character per character, with
    anything CHROUT would not show plainly replaced by ``?``."""
    return "".join(u if (u := c.upper()) in SCREEN_CHARS else "?" for c in text)


def d64_name(text: str, fallback: str = "C64ML") -> str:
    """A 1541 name derived from ``text``: upper case, characters a 1541 name cannot hold
    replaced by ``-``, at most 16 characters, outer spaces stripped; ``fallback`` if
    nothing is left. Never refuses (an explicitly given name is checked by make_d64)."""
    name = "".join(u if (u := c.upper()) in D64_CHARS else "-" for c in text)
    return name[:D64_NAME_LEN].strip() or fallback
