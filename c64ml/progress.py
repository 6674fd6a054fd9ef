"""Progress bars on stderr for work that may take more than a second (silent when not a TTY)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

import click

T = TypeVar("T")


def progress(items: Iterable[T], label: str, length: int | None = None) -> Iterator[T]:
    """Yield ``items`` while drawing a click progress bar on an interactive stderr."""
    if not sys.stderr.isatty():
        yield from items
        return
    with click.progressbar(items, length=length, label=label, file=sys.stderr,
                           show_eta=True, show_percent=True) as bar:
        yield from bar
