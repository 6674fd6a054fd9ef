"""The ``c64ml`` command line: a click group whose commands live in ``cli_*`` modules."""

from __future__ import annotations

import os
import sys

import click

from c64ml import __version__
from c64ml.errors import C64mlError
from c64ml.fileio import guarding_inputs


def _say(line: str) -> None:
    """Print one line on stderr, quietly giving up if stderr itself is broken."""
    try:
        click.echo(line, err=True)
    except OSError:
        pass


def _echo_failure(e: OSError) -> str | None:
    """The stream ("standard output" or "standard error") if ``e`` was raised by click.echo
    writing a command's output (a full disk, a closed pipe), else None."""
    tb = e.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    frame = None if tb is None else tb.tb_frame
    if frame is None or frame.f_globals.get("__name__") != "click.utils" \
            or frame.f_code.co_name != "echo":
        return None
    return "standard error" if frame.f_locals.get("err") else "standard output"


def _discard_stdout() -> None:
    """Point the real stdout at the null device, so the unwritable text still buffered is not
    retried (and reported as a traceback) when Python exits."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):
        return  # not a real file (e.g. click's test runner): nothing to retry at exit
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, fd)
    os.close(null)


class _Group(click.Group):
    """A group that turns a C64mlError from any command into one line and exit code 2,
    Ctrl-C into one line and exit code 130, and a stdout it cannot write to into one line
    and exit code 2. Inside a command no output may overwrite a file it has read."""

    def invoke(self, ctx: click.Context):
        try:
            with guarding_inputs():
                return super().invoke(ctx)
        except C64mlError as e:
            _say(f"c64ml: error: {e.line()}")
            sys.exit(2)
        except RecursionError:
            _say("c64ml: error: input is nested too deeply")
            sys.exit(2)
        except MemoryError:
            _say("c64ml: error: input is too large for memory")
            sys.exit(2)
        except KeyboardInterrupt:
            _say("c64ml: interrupted")
            sys.exit(130)
        except OSError as e:
            stream = _echo_failure(e)
            if stream is None:
                raise
            _discard_stdout()
            _say(f"c64ml: error: {stream}: cannot write: {e.strerror or e}")
            sys.exit(2)


    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True,
             **extra):
        """Click's main, except that a usage error (a bad option value, a missing argument,
        an unknown command) is one line ``c64ml: error: OPTION: message`` with exit code 2,
        like every other error, and Ctrl-C while parsing is ``c64ml: interrupted`` (130)."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as e:
            _say(f"c64ml: error: {_usage_line(e)}")
            sys.exit(2)
        except (click.Abort, KeyboardInterrupt):
            _say("c64ml: interrupted")
            sys.exit(130)
        # Without standalone mode click returns the exit code of --help/--version (an int);
        # the commands themselves return None.
        sys.exit(rv if isinstance(rv, int) else 0)


def _usage_line(e: click.ClickException) -> str:
    """A click error as one line: ``--max-cycles: 'abc' is not a valid integer``."""
    ctx = getattr(e, "ctx", None)
    command = "c64ml" + ("" if ctx is None or ctx.parent is None else f" {ctx.info_name}")
    param = getattr(e, "param", None)
    if isinstance(e, click.MissingParameter) and param is not None:
        what = "option" if isinstance(param, click.Option) else "argument"
        return (f"{_param_name(param)}: missing {what}; see '{command} --help'")
    if isinstance(e, click.BadParameter) and param is not None:
        text = e.message.replace("integer range", "integer").replace("float range", "number")
        return f"{_param_name(param)}: {text.rstrip('.')}"
    text = " ".join(e.format_message().split()).replace(". (", " (").rstrip(".")
    text = text[:1].lower() + text[1:]
    if isinstance(e, click.UsageError):
        text += f"; see '{command} --help'"
    return text


def _param_name(param: click.Parameter) -> str:
    """An option by its longest name (``--max-cycles``), an argument by its metavar."""
    if isinstance(param, click.Option):
        return max(param.opts, key=len)
    return (param.name or "argument").upper()


#: Help as -h or --help, with every default shown: for the group and (in _register) for
#: each command, also when a command is invoked on its own (click caches its help option).
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "show_default": True}


@click.group(cls=_Group, context_settings=CONTEXT_SETTINGS)
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
                 "c64ml.cli.bench", "c64ml.cli.train", "c64ml.cli.learn"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        for command in module.COMMANDS:
            command.context_settings = {**CONTEXT_SETTINGS, **command.context_settings}
            main.add_command(command)


_register()
