"""``c64ml demo``: build the demo programs, verify their inference routine in the emulated
C64, write PRG and D64 files and print a summary (docs/demos.md)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from c64ml.demos.builders import BUILDERS, DEMOS, PACKAGE, DemoBuild
from c64ml.demos.learn import LESSON, build_learn, check_lesson
from c64ml.errors import C64mlError
from c64ml.fileio import Outputs
from c64ml.verify.verify import Verification, verify


def _pct(v) -> str:
    return "n/a" if v is None else f"{100 * v:.2f}%"


def demo_files(name: str, out_dir: Path) -> tuple[Path, Path]:
    """The PRG and D64 a demo writes."""
    return out_dir / f"{name}-demo.prg", out_dir / f"{name}-demo.d64"


#: Every demo ``--which`` offers: the model demos and the learning demo.
ALL_DEMOS = (*DEMOS, "learn")


def learn_job(out_dir: Path, outs: Outputs) -> dict:
    """Build the learning demo, run its scripted lesson (AND, then XOR, then points added by
    hand) in the emulated C64 with every sample's weights checked, add its PRG and D64."""
    build = build_learn()
    res = check_lesson(build, LESSON)
    prg, d64 = demo_files("learn", out_dir)
    prg_bytes = build.prg()
    outs.add(prg, prg_bytes)
    outs.add(d64, build.d64(prg.stem.upper()))
    return {"demo": "learn", "samples": res["samples"], "epochs": res["epochs"],
            "mismatches": res["mismatches"], "errors_per_epoch": res["errors_per_epoch"],
            "weights": res["weights"], "keys": LESSON, "prg": str(prg), "d64": str(d64),
            "prg_bytes": len(prg_bytes), "vice": f"x64sc -autostart {prg}"}


def learn_summary(f: dict) -> str:
    return "\n".join([
        f"learn demo: the scripted lesson ran {f['samples']} samples in the emulated C64",
        f"  mismatches   {f['mismatches']} (weights in C64 memory after every sample vs "
        "the NumPy reference)",
        f"  errors/epoch {' '.join(str(e) for e in f['errors_per_epoch'])}",
        f"  wrote        {f['prg']} and {f['d64']} ({f['prg_bytes']:,} bytes)",
        f"  run it       {f['vice']}",
        f"               or on a C64: LOAD \"{Path(f['prg']).stem.upper()}\",8 then RUN"])


def run_demo_job(name: str, out_dir: Path, outs: Outputs) -> dict:
    """Build and verify one demo and add its PRG and D64 to ``outs``; the figures as a dict."""
    if name == "learn":
        return learn_job(out_dir, outs)
    build: DemoBuild = BUILDERS[name]()
    v: Verification = verify(build, build.data, build.model.float_model)  # carried by the qmodel
    checks = {"model": v}
    for extra, b in build.extra.items():
        checks[extra] = verify(b, build.data)
    prg, d64 = demo_files(name, out_dir)
    prg_bytes = build.prg()
    outs.add(prg, prg_bytes)
    outs.add(d64, build.d64(prg.stem.upper()))
    figures = v.to_json()
    figures.update({"demo": name, "model": build.model.name, "prg": str(prg), "d64": str(d64),
                    "prg_bytes": len(prg_bytes), "bytes": build.byte_counts(),
                    "mismatches": sum(c.mismatches for c in checks.values()),
                    "vice": f"x64sc -autostart {prg}"})
    if build.extra:
        figures["extra"] = {k: c.to_json() for k, c in checks.items() if k != "model"}
    return figures


def summary(f: dict) -> str:
    """The human-readable table for one demo's figures."""
    if f["demo"] == "learn":
        return learn_summary(f)
    c, t, b, a = f["cycles"], f["time_ms"], f["bytes"], f["accuracy"]
    shape = f"{f['samples']} samples"
    lines = [
        f"{f['demo']} demo (model {f['model']!r}), verified on {shape} in the emulated C64",
        f"  accuracy     float {_pct(a['float'])}   fixed point {_pct(a['fixed'])}   "
        f"6502 {_pct(a['c64'])}",
        f"  mismatches   {f['mismatches']} (6502 output bytes vs the NumPy and LLVM references)",
        f"  cycles       min {c['min']:,}   mean {c['mean']:,.0f}   max {c['max']:,} "
        "per inference",
        f"  ms (mean)    PAL {t['pal']['blanked']:.1f} (screen on {t['pal']['screen_on']:.1f})"
        f"   NTSC {t['ntsc']['blanked']:.1f} (screen on {t['ntsc']['screen_on']:.1f})",
        f"  bytes        model code {b['code']:,}, tables {b['tables']:,}, data {b['data']:,}, "
        f"buffers {b['buffers']:,};",
        f"               demo driver and samples {b['demo']:,}; PRG {f['prg_bytes']:,}",
    ]
    for name, e in f.get("extra", {}).items():
        lines.append(f"  {name:<12} {e['mismatches']} mismatches, {e['cycles']['mean']:,.0f} "
                     "cycles mean")
    lines += [f"  wrote        {f['prg']} and {f['d64']}",
              f"  run it       {f['vice']}",
              f"               or on a C64: LOAD \"{Path(f['prg']).stem.upper()}\",8 then RUN"]
    return "\n".join(lines)


@click.command(short_help="Build and verify the C64 demo programs.")
@click.option("--out", "out_dir", default=".", show_default=True, type=click.Path(),
              help="Directory for the PRG and D64 files (created if missing).")
@click.option("--which", type=click.Choice([*ALL_DEMOS, "all"]), default="digits",
              show_default=True, help="Which demo to build; fruit and xor need examples/; "
              "learn is the classroom demo of learning (docs/learning.md).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def demo(out_dir: str, which: str, as_json: bool) -> None:
    """Build the C64 demo (digits by default), prove its model bit-exact in the emulated
    C64, and write NAME-demo.prg and NAME-demo.d64.

    Exit code 1 if any output byte of the 6502 code differs from the references.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise C64mlError(f"cannot create the directory: {e.strerror}", out_dir) from None
    names = ALL_DEMOS if which == "all" else (which,)
    outs = Outputs()
    outs.claim(*(path for name in names for path in demo_files(name, out)))
    results = []
    for name in names:
        start = time.monotonic()
        click.echo(f"building the {name} demo and verifying it in the emulated C64 ...",
                   err=True)
        f = run_demo_job(name, out, outs)
        f["seconds"] = round(time.monotonic() - start, 1)
        results.append(f)
    outs.commit()  # every demo's files, or none
    if not as_json:
        for f in results:
            click.echo(summary(f))
    if as_json:
        click.echo(json.dumps(results[0] if len(results) == 1 else results, indent=1))
    if any(f["mismatches"] for f in results):
        click.echo("c64ml: the 6502 code disagrees with the references (see mismatches)",
                   err=True)
        sys.exit(1)


COMMANDS = [demo]

__all__ = ["COMMANDS", "demo", "run_demo_job", "summary", "PACKAGE"]
