"""Bounded reads and all-or-nothing writes: no hangs, no huge allocations, no lost files.

Reading (``read_bytes``): only regular files are read; a FIFO, a device or a socket is
refused with one line, never waited on.

Writing (``Outputs``, and ``write_atomic`` for one file): every destination is checked
before anything is written: not a file the command reads (by path or by device and
inode, so symlinks and hard links are caught), not another output, not a directory or
block device, its directory exists. Then each regular file is written to a temporary
file beside it, and all are renamed over their targets together; on any failure or
Ctrl-C every temporary file is removed. A symlink is written through: its target is
replaced atomically and the link is kept. A character device (``/dev/null``) or a FIFO is
written in place, never replaced; a FIFO with no reader is refused rather than waited
for. A path naming the process's own standard output or error (``/dev/stdout``) writes
to that stream.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from c64ml.errors import C64mlError

PathLike = str | os.PathLike

_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_NOCTTY = getattr(os, "O_NOCTTY", 0)
_BINARY = getattr(os, "O_BINARY", 0)

#: Files read by ``read_bytes`` inside ``guarding_inputs()``: (path, (device, inode)).
_guarded: list[tuple[str, tuple[int, int]]] | None = None


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISREG, "regular file"), (stat.S_ISDIR, "directory"),
                       (stat.S_ISFIFO, "FIFO"), (stat.S_ISCHR, "character device"),
                       (stat.S_ISBLK, "block device"), (stat.S_ISSOCK, "socket")):
        if test(mode):
            return name
    return "special file"


def _why(e: OSError) -> str:
    return e.strerror or str(e)


@contextlib.contextmanager
def guarding_inputs() -> Iterator[None]:
    """Within this block, no ``Outputs`` may overwrite a file that ``read_bytes`` has read."""
    global _guarded
    outer, _guarded = _guarded, []
    try:
        yield
    finally:
        _guarded = outer


def read_bytes(path: PathLike, max_bytes: int, what: str = "file") -> bytes:
    """Read a whole regular file, refusing anything larger than ``max_bytes``.

    A FIFO, device or socket is refused without waiting on it (opened non-blocking).
    """
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise C64mlError("is a directory, not a " + what, path)
        if not stat.S_ISREG(st.st_mode):
            raise C64mlError(f"is a {_kind(st.st_mode)}, not a regular file; give the {what} "
                             "as a file", path)
        if st.st_size > max_bytes:
            raise C64mlError(f"{what} is {st.st_size} bytes; the limit is {max_bytes}", path)
        fd = os.open(path, os.O_RDONLY | _NONBLOCK | _NOCTTY | _BINARY)
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):  # swapped since the stat above
                raise C64mlError(f"is a {_kind(st.st_mode)}, not a regular file", path)
            # As much as the file holds (not a max_bytes buffer), and then whatever it grew by.
            data = f.read(min(st.st_size, max_bytes) + 1)
            if len(data) > st.st_size:
                data += f.read(max_bytes + 1 - len(data))
    except FileNotFoundError:
        raise C64mlError("no such file", path) from None
    except PermissionError:
        raise C64mlError("permission denied", path) from None
    except OSError as e:
        raise C64mlError(f"cannot read: {_why(e)}", path) from None
    if len(data) > max_bytes:
        raise C64mlError(f"{what} is larger than the limit of {max_bytes} bytes", path)
    if _guarded is not None:
        _guarded.append((os.fspath(path), (st.st_dev, st.st_ino)))
    return data


def write_atomic(path: PathLike, data: bytes | str) -> None:
    """Write one file as ``Outputs`` does: all of it or nothing."""
    outputs = Outputs()
    outputs.add(path, data)
    outputs.commit()


# --- writing ----------------------------------------------------------------


@dataclass
class _Dest:
    """Where one output goes and how: replace a ``file``, write a ``stream`` in place, or
    write to this process's ``stdout``/``stderr``."""

    path: str
    target: str
    how: str
    ident: tuple[int, int] | None


def _ident(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def _fd_ident(fd: int) -> tuple[int, int] | None:
    try:
        st = os.fstat(fd)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _resolve(path: PathLike) -> _Dest:
    """Check one output path and decide how to write it; C64mlError if it cannot be."""
    p = os.fspath(path)
    if not p:
        raise C64mlError("an output path is empty")
    try:
        st = os.stat(p)  # follows symlinks: a link is judged by its target
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise C64mlError(f"cannot write: {_why(e)}", p) from None
    if st is None:
        return _Dest(p, _replaceable(p), "file", None)
    ident = (st.st_dev, st.st_ino)
    for fd, name in ((1, "stdout"), (2, "stderr")):
        if ident == _fd_ident(fd):
            return _Dest(p, p, name, ident)
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return _Dest(p, _replaceable(p), "file", ident)
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return _Dest(p, p, "stream", ident)
    if stat.S_ISDIR(mode):
        raise C64mlError("is a directory; give a file name for the output", p)
    raise C64mlError(f"is a {_kind(mode)}; refusing to write to it", p)


def _replaceable(p: str) -> str:
    """The file a path finally names (through symlinks, even dangling ones), after checking
    that its directory exists and takes new files."""
    target = os.path.realpath(p)
    parent = os.path.dirname(target)
    shown = parent if os.path.islink(p) else (os.path.dirname(p) or ".")
    if not os.path.isdir(parent):
        raise C64mlError(f"cannot write: the directory {shown} does not exist", p)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise C64mlError(f"cannot write: the directory {shown} is not writable", p)
    return target


def _same(a: str, a_id: tuple[int, int] | None, b: str, b_id: tuple[int, int] | None) -> bool:
    return (a_id is not None and a_id == b_id) or os.path.realpath(a) == os.path.realpath(b)


class Outputs:
    """The files one command writes, committed all together or not at all.

    ``claim`` checks destinations early (before the work that makes their bytes);
    ``add`` registers bytes for a path; ``commit`` checks every destination again, then
    writes. ``inputs`` (and, inside ``guarding_inputs()``, every file read so far) may
    never be overwritten.
    """

    def __init__(self, inputs: Iterable[PathLike | None] = ()) -> None:
        self._inputs = [os.fspath(p) for p in inputs if p is not None]
        self._data: dict[str, bytes] = {}

    def claim(self, *paths: PathLike | None) -> None:
        """Refuse now any of ``paths`` (None is skipped) that could not be written later."""
        self._plan([*self._data, *(os.fspath(p) for p in paths if p is not None)])

    def add(self, path: PathLike, data: bytes | str) -> None:
        """Register ``data`` (text is UTF-8) to be written to ``path`` on ``commit``."""
        p = os.fspath(path)
        if p in self._data:
            raise C64mlError("is written twice by this command", p)
        self._plan([*self._data, p])
        self._data[p] = data.encode("utf-8") if isinstance(data, str) else bytes(data)

    def paths(self) -> list[str]:
        """The paths added so far, in order."""
        return list(self._data)

    def _plan(self, paths: list[str]) -> list[_Dest]:
        inputs = [(p, _ident(p)) for p in self._inputs] + list(_guarded or [])
        dests: list[_Dest] = []
        for p in paths:
            d = _resolve(p)
            for inp, inp_id in inputs:
                if _same(d.target, d.ident, inp, inp_id):
                    raise C64mlError(f"output would overwrite the input {inp}", p)
            for other in dests:
                if _same(d.target, d.ident, other.target, other.ident):
                    raise C64mlError(f"is the same file as the output {other.path}; "
                                     "two outputs cannot share a file", p)
            dests.append(d)
        return dests

    def commit(self) -> None:
        """Write every added file, or (on any error or Ctrl-C) none of them."""
        dests = self._plan(list(self._data))
        temps: dict[str, str] = {}  # output path -> temporary file beside its target
        streams: dict[str, int] = {}  # output path -> open descriptor
        try:
            for d in dests:
                if d.how == "stream":
                    streams[d.path] = _open_stream(d)
            for d in dests:
                if d.how == "file":
                    temps[d.path] = _write_temp(d, self._data[d.path])
            for d in dests:
                if d.how == "stream":
                    _write_fd(streams[d.path], self._data[d.path], d.path)
                elif d.how in ("stdout", "stderr"):
                    _write_std(d.how, self._data[d.path], d.path)
            with _interrupts_deferred():  # the renames happen all together
                for d in dests:
                    if d.how == "file":
                        try:
                            os.replace(temps[d.path], d.target)
                        except OSError as e:
                            raise C64mlError(f"cannot write: {_why(e)}", d.path) from None
                        del temps[d.path]
        finally:
            for tmp in temps.values():
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            for fd in streams.values():
                with contextlib.suppress(OSError):
                    os.close(fd)


def _write_temp(d: _Dest, data: bytes) -> str:
    """``data`` in a new temporary file beside ``d.target``, with the target's permissions."""
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(d.target) + ".",
                                   suffix=".tmp", dir=os.path.dirname(d.target) or ".")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        try:
            mode = stat.S_IMODE(os.stat(d.target).st_mode)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask  # as open() would make it, not mkstemp's 0600
        os.chmod(tmp, mode)
        return tmp
    except BaseException as e:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if isinstance(e, OSError):
            raise C64mlError(f"cannot write: {_why(e)}", d.path) from None
        raise


def _open_stream(d: _Dest) -> int:
    """Open a device or FIFO for writing in place; a FIFO with no reader is refused."""
    try:
        fd = os.open(d.target, os.O_WRONLY | _NONBLOCK | _NOCTTY | _BINARY)
    except OSError as e:
        if e.errno == errno.ENXIO:
            raise C64mlError("is a FIFO with no reader; start the reader first", d.path) from None
        raise C64mlError(f"cannot write: {_why(e)}", d.path) from None
    if _NONBLOCK:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~_NONBLOCK)
    return fd


def _write_fd(fd: int, data: bytes, path: str) -> None:
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view):]
    except OSError as e:
        raise C64mlError(f"cannot write: {_why(e)}", path) from None


def _write_std(name: str, data: bytes, path: str) -> None:
    stream = sys.stdout if name == "stdout" else sys.stderr
    try:
        stream.flush()
        binary = getattr(stream, "buffer", None)
        if binary is None:
            _write_fd(stream.fileno(), data, path)
        else:
            binary.write(data)
            binary.flush()
    except OSError as e:
        raise C64mlError(f"cannot write: {_why(e)}", path) from None


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold back Ctrl-C (SIGINT) in this block: KeyboardInterrupt is raised when it ends.

    Done with a Python-level handler, since any thread may receive the signal (a
    per-thread signal mask would not do); outside the main thread nothing is held back.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    old = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler if old is None else old)
        if caught:
            raise KeyboardInterrupt
