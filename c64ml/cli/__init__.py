"""The ``c64ml`` command line: a click group whose commands live in ``cli_*`` modules."""

from __future__ import annotations

import sys

import click

from c64ml import __version__
from c64ml.errors import C64mlError


class _Group(click.Group):
    """A group that turns a C64mlError from any command into one line and exit code 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except C64mlError as e:
            click.echo(f"c64ml: error: {e.line()}", err=True)
            sys.exit(2)
        except RecursionError:
            click.echo("c64ml: error: input is nested too deeply", err=True)
            sys.exit(2)
        except MemoryError:
            click.echo("c64ml: error: input is too large for memory", err=True)
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="c64ml")
def main() -> None:
    """c64ml: compile tiny trained models into verified 6502 code for the Commodore 64.

    The pipeline: a float model (JSON) is quantized to a fixed-point qmodel,
    compiled to 6502 machine code, packaged as a PRG or D64, and checked bit
    for bit in an emulated C64 against NumPy and LLVM references.
    """
    from c64ml.cli.progressbar import progress_bar
    from c64ml.progress import reporting

    # Library work longer than a second (c64ml.progress) gets a bar on an interactive stderr.
    click.get_current_context().with_resource(reporting(progress_bar))


def _register() -> None:
    import importlib

    for name in ("c64ml.cli.model", "c64ml.cli.toolchain", "c64ml.cli.compile", "c64ml.cli.demo",
                 "c64ml.cli.bench"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        for command in module.COMMANDS:
            main.add_command(command)


_register()
