"""CLI commands for programs: ``asm`` (assemble and package) and ``run`` (run in the emulated C64)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from c64ml.cli.common import parse_address, path_arg
from c64ml.errors import C64mlError
from c64ml.fileio import Outputs, read_bytes
from c64ml.machine.c64 import Engine
from c64ml.package.d64 import disk_file_name, make_d64
from c64ml.package.formats import output_kind
from c64ml.package.load import load_program
from c64ml.package.prg import make_prg, package_prg
from c64ml.package.vice import labels_text

MAX_SOURCE_BYTES = 4 * 1024 * 1024  # as c64ml.asm.parse.MAX_SOURCE_CHARS (UTF-8 may be longer)
OUTPUT_KINDS = ("prg", "bin", "d64")  # by extension (c64ml/package/formats.py)
DEFAULT_MAX_CYCLES = 20_000_000
DEFAULT_MAX_SECONDS = 60.0


# {name} escapes accepted by --keys, as PETSCII codes.
KEY_NAMES = {
    "return": 13, "ret": 13, "clr": 147, "home": 19, "del": 20, "inst": 148, "up": 145,
    "down": 17, "left": 157, "right": 29, "space": 32, "stop": 3, "f1": 133, "f3": 134,
    "f5": 135, "f7": 136,
}
_BACKSLASH = {"n": 13, "r": 13, "\\": 92, "{": 123}


def parse_keys(text: str) -> bytes:
    """``--keys`` text as PETSCII: letters typed unshifted (so upper case), ``\\n`` or
    ``{return}`` for RETURN, ``{clr}``/``{home}``/``{up}``/... named keys, ``{65}`` a code."""
    out = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in _BACKSLASH:
            out.append(_BACKSLASH[text[i + 1]])
            i += 2
            continue
        if ch == "{":
            close = text.find("}", i)
            name = text[i + 1:close].strip().lower() if close > 0 else ""
            if name.isdigit() and int(name) <= 255:
                out.append(int(name))
            elif name in KEY_NAMES:
                out.append(KEY_NAMES[name])
            else:
                raise C64mlError(f"unknown key {text[i:close + 1] if close > 0 else text[i:]!r}; "
                                 f"use {{n}} (0-255) or one of {', '.join(sorted(KEY_NAMES))}",
                                 field="--keys")
            i = close + 1
            continue
        if ch == "\n":
            out.append(13)
        elif "a" <= ch <= "z":
            out.append(ord(ch) - 32)
        elif " " <= ch <= "]":
            out.append(ord(ch))
        else:
            raise C64mlError(f"character {ch!r} cannot be typed; use {{n}} for a PETSCII code",
                             field="--keys")
        i += 1
    return bytes(out)


def _read_source(path: str) -> str:
    raw = read_bytes(path, MAX_SOURCE_BYTES, "assembly source")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise C64mlError(f"not UTF-8 text (byte {e.start})", path) from None


@click.command(short_help="Assemble 6502 source to a PRG, BIN or D64.")
@click.argument("source", type=path_arg)
@click.option("-o", "--output", required=True, type=path_arg,
              help="Output file; its extension picks the type: .prg (also for a name without "
                   "an extension), .bin (raw bytes) or .d64.")
@click.option("--listing", type=path_arg, help="Also write an address/bytes/cycles listing here.")
@click.option("--labels", type=path_arg, help="Also write a VICE label file (al C:xxxx .name) here.")
@click.option("--export", "export_syntax", type=click.Choice(["acme", "64tass", "ca65"]),
              help="Also write the source translated for this assembler, next to OUTPUT.")
@click.option("--no-stub", is_flag=True,
              help="Never add a BASIC stub: a plain PRG loading at the origin (a library "
                   "in BASIC memory, e.g. from c64ml compile --format asm).")
def asm(source: str, output: str, listing: str | None, labels: str | None,
        export_syntax: str | None, no_stub: bool) -> None:
    """Assemble SOURCE (c64ml syntax) and package it.

    .prg: if the code starts in BASIC memory after the stub (e.g. .org $080D), a
    "10 SYS origin" BASIC stub at $0801 is added so RUN starts it (unless
    --no-stub); otherwise a plain PRG loading at the origin (start it with SYS).
    .d64: that PRG on a disk, named after OUTPUT's stem. .bin: the bytes alone.
    """
    from c64ml.asm.assembler import assemble

    kind = "." + output_kind(output, OUTPUT_KINDS)
    outs = Outputs(inputs=(source,))
    outs.claim(output, listing, labels)
    text = _read_source(source)
    program = assemble(text, source)
    if not program.data:
        raise C64mlError("program assembled to no bytes", source)
    if kind == ".bin":
        outs.add(output, program.data)
    else:
        try:
            prg = make_prg(program.origin, program.data) if no_stub \
                else package_prg(program.origin, program.data)
        except C64mlError as e:
            raise e.at(source) from None
        if kind == ".prg":
            outs.add(output, prg)
        else:
            name = disk_file_name(output)
            outs.add(output, make_d64([(name, prg)], name, "64"))
    if listing:
        outs.add(listing, program.listing())
    if labels:
        symbols = {**program.symbols, **getattr(program, "local_symbols", {})}
        outs.add(labels, labels_text({k: v for k, v in symbols.items()
                                      if isinstance(v, int) and 0 <= v <= 0xFFFF}))
    if export_syntax:
        from c64ml.asm.export import export
        out_dir = Path(output).parent
        for filename, body in export(text, export_syntax, source).items():
            outs.add(out_dir / Path(filename).name, body)  # never the source: it is an input
    outs.commit()
    click.echo(f"{output}: {len(program.data)} bytes at ${program.origin:04X}-"
               f"${program.end - 1:04X}" + ", ".join([""] + [p for p in outs.paths()
                                                             if p != output]))


def _library_signature() -> bytes:
    """The bytes a c64ml library build starts with: its quarter-square table SQ1LO
    (docs/abi.md), page aligned at the load address."""
    from c64ml.backend6502.sqtables import tables

    return tables()["SQ1LO"][:64]


def _refuse_library(prg: bytes, load_addr: int, path: str) -> None:
    if load_addr & 0xFF == 0 and prg[2:2 + 64] == _library_signature():
        raise C64mlError(
            f"is a c64ml library (an inference routine loading at ${load_addr:04X}), not a "
            "program to start: call its entry with --sys ADDR (the SYS address c64ml compile "
            "printed; docs/abi.md), or build a program that runs samples with c64ml compile "
            "--mode app --data DATA", path)


def _limit_error(e: C64mlError, program: str) -> C64mlError:
    """A run error as the one line ``run`` prints: with the option that lifts a limit, or a
    hint when a plain PRG may have been started at the wrong address."""
    from c64ml.machine import CycleBudgetExceeded, TimeLimitExceeded

    hint = {CycleBudgetExceeded: "; --max-cycles raises the budget",
            TimeLimitExceeded: "; --max-seconds raises the limit (0: none)"}.get(type(e), "")
    return C64mlError(e.message + hint, e.path or program, e.field)


@click.command(short_help="Run a PRG or D64 in the emulated C64.")
@click.argument("program", type=path_arg)
@click.option("--keys", default="", show_default=False,
              help=r"Keys to type after RUN; \n or {return} is RETURN.")
@click.option("--max-cycles", default=DEFAULT_MAX_CYCLES, show_default=True,
              type=click.IntRange(1, 10**10),
              help="Stop with an error after this many emulated cycles (the program's, the "
                   "KERNAL routines' and the interrupts' together).")
@click.option("--max-seconds", default=DEFAULT_MAX_SECONDS, show_default=True,
              type=click.FloatRange(0, 10**6),
              help="Stop with an error after this much wall-clock time (0: no limit).")
@click.option("--sys", "start", metavar="ADDR",
              help="Start at ADDR ($C000 or 49152) as SYS ADDR would, not at the BASIC stub's "
                   "SYS address or the load address.")
@click.option("--screenshot", type=path_arg, help="Write the final screen as a PNG here.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the result as JSON (with exit_code and error, null if none).")
@click.option("--no-irq", is_flag=True, help="Run without the KERNAL's 60 Hz timer interrupt.")
@click.option("--ntsc", is_flag=True, help="Report times for an NTSC C64 (default PAL).")
@click.option("--engine", type=click.Choice([e.value for e in Engine]), default="fast",
              show_default=True, help="Emulator core: translated blocks, or py65 (identical "
              "results).")
def run(program: str, keys: str, max_cycles: int, max_seconds: float, start: str | None,
        screenshot: str | None, as_json: bool, no_irq: bool, ntsc: bool, engine: str) -> None:
    """Run PROGRAM (.prg, or the first file of a .d64) in the emulated C64, like LOAD + RUN.

    A PRG at $0801 is started by its BASIC stub's SYS address; any other PRG at
    its load address (or at --sys ADDR). Prints the final screen and the cycles used.
    Exits with the code the program writes to $D7FF (VICE's debug cartridge), else 0;
    c64ml's own errors exit 2 with "c64ml: error:" on stderr.
    """
    from c64ml.machine import C64, C64Error, IllegalOpcode, timing, trim_screen
    from c64ml.package.load import check_runnable

    if max_seconds != max_seconds:  # NaN
        raise C64mlError("'nan' is not a number of seconds", field="--max-seconds")
    outs = Outputs(inputs=(program,))
    outs.claim(screenshot)
    prg = load_program(program)
    load_addr = check_runnable(prg, program)
    entry = parse_address(start, "--sys")
    typed = parse_keys(keys)
    system = "ntsc" if ntsc else "pal"
    machine = C64(system=system, irq=not no_irq, engine=engine)
    limits = {"max_cycles": max_cycles, "max_seconds": max_seconds or None}
    error = None
    t0 = time.perf_counter()
    try:
        if entry is None:
            _refuse_library(prg, load_addr, program)
            result = machine.run_program(prg, keys=typed, **limits)
        else:
            machine.load_prg(prg)
            machine.keys(typed)
            result = machine.call(entry, **limits)
    except C64Error as e:
        result, error = e.result, _limit_error(e, program)
        if isinstance(e, IllegalOpcode) and entry is None and load_addr != 0x0801:
            error = C64mlError(f"{error.message}; the program was started at its load address "
                               f"${load_addr:04X}: if its entry point is elsewhere, give it with "
                               "--sys ADDR", program, error.field)
    host_seconds = time.perf_counter() - t0
    screen = [ln.rstrip() for ln in machine.screen_text()]
    if screenshot and error is None:
        from c64ml.machine.screenshot import render_png
        outs.add(screenshot, render_png(machine.screen_codes(), machine.colour_ram(),
                                        machine.border, machine.background))
        outs.commit()
    total = result.total_cycles
    times = timing(total)
    if as_json:
        click.echo(json.dumps({
            "cycles": result.cycles, "screen": screen,
            "irq_cycles": result.irq_cycles, "kernal_cycles": result.kernal_cycles,
            "total_cycles": total, "reason": result.reason, "exit_code": result.exit_code,
            "error": None if error is None else error.line(),
            "system": system, "timing": times,
            "instructions": result.instructions, "host_seconds": host_seconds,
        }, indent=2))
    else:
        for line in trim_screen(screen):
            click.echo(line)
        if error is None:
            t = times[system]
            click.echo(f"cycles: {result.cycles} program + {result.irq_cycles} IRQ + "
                       f"{result.kernal_cycles} KERNAL = {total}; {system.upper()}: "
                       f"{t['blanked_ms']:.3f} ms screen blanked, {t['screen_on_ms']:.3f} ms "
                       f"screen on; stop: {result.reason}"
                       + ("" if result.exit_code is None else f" (exit code {result.exit_code})"))
    if error is not None:
        raise error
    if result.exit_code:
        raise SystemExit(result.exit_code)


COMMANDS = [asm, run]
