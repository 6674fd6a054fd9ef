"""Where the examples' train.py scripts write: ``--out DIR`` (default ``trained/<example>`` in
the current folder), or with ``--overwrite`` the example's own folder, replacing the committed
files (for maintainers: another machine's floating-point sums may change the last digits)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path


def output_folder(example: Path, doc: str, argv: list[str] | None = None,
                  more: Callable[[argparse.ArgumentParser], None] | None = None
                  ) -> tuple[Path, argparse.Namespace]:
    """The folder to write to (made if missing) and the parsed options; ``more`` adds a
    script's own options."""
    name = example.name
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help=f"folder to write to (default: trained/{name} in the current folder)")
    parser.add_argument("--overwrite", action="store_true",
                        help=f"write into examples/{name}/ itself, replacing the committed files")
    if more is not None:
        more(parser)
    args = parser.parse_args(argv)
    if args.overwrite and args.out is not None:
        parser.error("--out and --overwrite exclude each other")
    out = example if args.overwrite else (args.out or Path("trained") / name)
    if not args.overwrite and out.resolve() == example.resolve():
        parser.error(f"{out} holds the committed files: give --overwrite to replace them")
    out.mkdir(parents=True, exist_ok=True)
    return out, args
