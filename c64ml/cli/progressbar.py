"""The CLI's progress bar: the reporter ``c64ml.cli`` installs for ``c64ml.progress``."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import click

T = TypeVar("T")


@contextmanager
def progress_bar(items: Iterable[T], label: str, length: int | None = None,
                 describe=None) -> Iterator[Iterable[T]]:
    """The CLI's progress reporter (``c64ml.progress``): a click progress bar on an
    interactive stderr, nothing when stderr is not a TTY."""
    if not sys.stderr.isatty():
        yield items
        return
    with click.progressbar(items, length=length, label=label, file=sys.stderr,
                           show_eta=True, show_percent=True, item_show_func=describe) as bar:
        yield bar
