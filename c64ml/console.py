"""The ``c64ml`` console entry point (``[project.scripts]`` in pyproject.toml).

It imports the command line under a Ctrl-C guard, so that an interrupt while Python is
still loading click, NumPy and the commands prints ``c64ml: interrupted`` and exits with
130 instead of a traceback (inside a command, ``c64ml.cli`` itself turns Ctrl-C into the
same line).
"""

from __future__ import annotations

import sys


def main() -> None:
    """Run the ``c64ml`` command line; Ctrl-C at any point is one line and exit code 130."""
    try:
        from c64ml.cli import main as cli

        cli()
    except KeyboardInterrupt:
        try:
            sys.stderr.write("c64ml: interrupted\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        sys.exit(130)
