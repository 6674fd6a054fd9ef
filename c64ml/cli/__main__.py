"""``python -m c64ml.cli``: the same as the ``c64ml`` command."""

from c64ml.cli import main

main()
