"""The ``bench`` command."""

from __future__ import annotations

import json

import click


@click.command(short_help="Benchmark c64ml's 6502 code against cc65.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--samples", type=click.IntRange(1, 10_000), default=100, show_default=True,
              help="Test samples per model for c64ml's code.")
@click.option("--cc65-samples", type=click.IntRange(1, 1000), default=5, show_default=True,
              help="Test samples per model for the cc65 build (it is ~30x slower to emulate).")
@click.option("--model", "models", multiple=True, help="Only this suite model (repeatable).")
@click.option("--emulator", is_flag=True,
              help="Instead: the emulator's speed, fast engine against the reference core "
                   "(--samples digits samples, default 100).")
@click.option("--repeat", type=click.IntRange(1, 20), default=3, show_default=True,
              help="With --emulator: runs per engine and program; the best counts.")
def bench(as_json: bool, samples: int, cc65_samples: int, models: tuple[str, ...],
          emulator: bool, repeat: int) -> None:
    """Benchmark the fixed suite: c64ml's 6502 code (--optimize speed and size) against the
    same qmodel as C under cc65 -Oirs -Cl, all measured in the emulated C64. With
    --emulator: instructions per second of the two emulator engines."""
    if emulator:
        from c64ml.package.prg import prg_with_stub
        from c64ml.verify.emubench import emulator_bench, emulator_table

        result = emulator_bench(prg_with_stub, samples, repeat)
        click.echo(json.dumps(result) if as_json else emulator_table(result))
        return
    from c64ml.verify.bench import run_bench, table

    result = run_bench(list(models) or None, samples, cc65_samples)
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(table(result))
    click.echo(f"\ncc65: {result['cc65']} ({result['cc65_flags']}); cycles/MAC counts each "
               "layer's accumulation and activation, --optimize speed.")
    bad = [m["name"] for m in result["models"]
           if m["speed"]["mismatches"] or m["size"]["mismatches"] or m["cc65_mismatches"]]
    if bad:
        raise click.ClickException(f"output mismatches in {', '.join(bad)}")


COMMANDS = [bench]
