"""Progress reporting for library work that may take more than a second.

Library code wraps a long loop in ``progress(items, label, length)``. By itself that
only yields the items: the library draws nothing and imports no UI toolkit. Whoever
runs the library installs a *reporter* for a stretch of work with ``reporting(...)``;
the command line (``c64ml.cli``) installs a click progress bar on an interactive
stderr for the duration of each command (``c64ml.cli.progressbar.progress_bar``).

A reporter is a callable ``reporter(items, label, length)`` returning a context
manager that yields the iterable to loop over (``click.progressbar`` has this shape).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

#: ``reporter(items, label, length)`` -> a context manager yielding the items to iterate.
Reporter = Callable[[Iterable[Any], str, "int | None"], AbstractContextManager[Iterable[Any]]]

_reporter: ContextVar[Reporter | None] = ContextVar("c64ml_progress_reporter", default=None)


def progress(items: Iterable[T], label: str, length: int | None = None,
             describe: Callable[[T], str | None] | None = None) -> Iterator[T]:
    """Yield ``items``, reported to the installed reporter if there is one. ``describe``
    (optional) gives a status text for the current item (a loss, say), which the reporter
    gets as the keyword ``describe`` and may show beside the bar."""
    reporter = _reporter.get()
    if reporter is None:
        yield from items
        return
    cm = reporter(items, label, length) if describe is None else \
        reporter(items, label, length, describe=describe)
    with cm as bar:
        yield from bar


@contextmanager
def reporting(reporter: Reporter | None) -> Iterator[None]:
    """Within the ``with`` block, ``progress`` reports to ``reporter`` (None: to nobody)."""
    token = _reporter.set(reporter)
    try:
        yield
    finally:
        _reporter.reset(token)
