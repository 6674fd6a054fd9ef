"""The one error type that commands turn into a single clear line and exit code 2."""

from __future__ import annotations

import os


class C64mlError(Exception):
    """A problem with a user's file or request.

    ``path`` names the file (if any), ``field`` the offending part of it
    (a JSON path such as ``layers[1].weights``, a line number, an address).
    The CLI prints ``c64ml: error: PATH: FIELD: MESSAGE`` and exits with 2.
    """

    def __init__(self, message: str, path: str | os.PathLike | None = None,
                 field: str | None = None) -> None:
        self.message = " ".join(str(message).split())  # always one line
        self.path = None if path is None else os.fspath(path)
        self.field = field
        super().__init__(self.line())

    def line(self) -> str:
        parts = [p for p in (self.path, self.field) if p]
        parts.append(self.message)
        return ": ".join(parts)

    def at(self, path: str | os.PathLike | None = None,
           field: str | None = None) -> "C64mlError":
        """Return this error with a path and/or field filled in if missing."""
        if self.path is None and path is not None:
            self.path = os.fspath(path)
        if self.field is None and field is not None:
            self.field = field
        self.args = (self.line(),)
        return self


class AddressOverflow(C64mlError):
    """An assembled program would run past $FFFF."""


class DoesNotFit(C64mlError):
    """A program or model needs more of the C64's memory than is free."""
