"""CLI commands for the 6502 backend: ``compile``, ``verify`` and ``predict``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from c64ml.backend6502 import labels
from c64ml.cli.common import (
    dropped_operators,
    parse_address,
    path_arg,
    qmodel_arg,
    qmodel_data,
)
from c64ml.errors import C64mlError
from c64ml.fileio import Outputs
from c64ml.machine.c64 import Engine
from c64ml.model.dataset import check_labels
from c64ml.model.qmodel import QModel
from c64ml.package.formats import output_kind
from c64ml.spec import Executor, Optimize, ValueKind

FORMATS = ("prg", "bin", "asm", "d64", "c")
#: verify runs every sample in the emulated C64 (hundreds a second for a small model, a few
#: for a large one): more than this needs --samples, so a huge data set does not run for hours.
MAX_VERIFY_SAMPLES = 10_000
SYNTAXES = ("native", "acme", "64tass", "ca65")


def _outputs(build, fmt: str, syntax: str, out: str, app: bool) -> dict[str, bytes | str]:
    """The files to write for a build, by path."""
    from c64ml.package.d64 import disk_file_name, make_d64
    from c64ml.package.prg import make_prg, prg_with_stub, stub_source
    from c64ml.text import d64_name

    data = build.program.data
    if fmt == "asm":  # re-assembles to the PRG below (an app's with its BASIC stub)
        source = (stub_source(build.addr(labels.START)) if app else "") + build.source
        if syntax == "native":
            name = Path(out).name
            return {out: f"; build: c64ml asm {name} -o {Path(name).stem}.prg --no-stub\n"
                         + source}
        from c64ml.asm.export import export

        files = export(source, syntax, Path(out).name)
        folder = Path(out).parent
        return {str(folder / name): text for name, text in files.items()}
    if fmt == "bin":
        return {out: data}
    prg = prg_with_stub(build.origin, data, build.addr(labels.START)) if app \
        else make_prg(build.origin, data)
    if fmt == "prg":
        return {out: prg}
    return {out: make_d64([(disk_file_name(out), prg)], disk_name=d64_name(build.model.name))}


@click.command(name="compile", short_help="Compile a model to 6502 code (PRG, D64, asm, C).")
@click.argument("model", type=path_arg)
@click.option("-o", "--output", required=True, type=path_arg, help="The file to write.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Output kind (default: from the -o extension: .prg, .bin, .d64, .s/.asm/.a, "
                   ".c; prg without one; any other is refused).")
@click.option("--syntax", type=click.Choice(SYNTAXES), default="native",
              help="Assembler dialect for --format asm.")
@click.option("--mode", type=click.Choice(("app", "library")), default="library",
              help="library: an inference routine to call (docs/abi.md); app: a PRG that "
                   "runs the model on embedded samples and prints the results.")
@click.option("--optimize", type=click.Choice([o.value for o in Optimize]), default="size",
              help="size: the table-driven loop everywhere (about 61 cycles per MAC). speed: "
                   "unrolled code with product tables for every layer that fits in memory "
                   "(about 24 cycles per MAC, interrupts off while it runs; best with a "
                   "weight codebook, see c64ml quantize --codebook).")
@click.option("--data", type=path_arg, help="Samples (.npz or .csv): embedded in an app; the "
              "inputs --report and --listing measure.")
@click.option("--calib", type=path_arg, help="Calibration data, when MODEL is a float model.")
@click.option("--origin", metavar="ADDR",
              help="Load address for a library, $C000 or 49152 (default: planned).")
@click.option("--vice-exit", is_flag=True,
              help="App: write the mismatch count to $D7FF at the end (x64sc -debugcart).")
@click.option("--labels", type=path_arg, help="Also write a VICE label file.")
@click.option("--listing", type=path_arg,
              help="Also write a listing: address, bytes, cycles and source per line, a "
                   "section per layer and per runtime routine; with --data, the cycles "
                   "measured on all its samples and a summary of where they go.")
@click.option("--report", is_flag=True,
              help="Print each layer's strategy, measured cycles and bytes (on --data, "
                   "else --calib, else 16 random inputs; the first 64 samples, or all of "
                   "--data with --listing).")
@click.option("--json", "as_json", is_flag=True, help="Print the addresses and sizes as JSON.")
def compile_cmd(model, output, fmt, syntax, mode, optimize, data, calib, origin, vice_exit,
                labels, listing, report, as_json) -> None:
    """Compile MODEL (a qmodel, or a float model with --calib) to 6502 code for the C64."""
    from c64ml.backend6502.strategy import build_optimized
    from c64ml.package.vice import labels_text

    fmt = output_kind(output, FORMATS, fmt, "--format")  # c64ml/package/formats.py
    if syntax != "native" and fmt != "asm":
        raise C64mlError("--syntax applies to --format asm only")
    outs = Outputs(inputs=(model, data, calib))
    outs.claim(output, labels, listing)
    qm = qmodel_arg(model, calib)
    if fmt == "c":  # portable C source and header (c64ml/backend_c/csource.py)
        from c64ml.cli.cformat import compile_c

        return compile_c(qm, output, as_json, {"--mode app": mode == "app", "--data": data,
                                                "--origin": origin, "--labels": labels,
                                                "--vice-exit": vice_exit, "--listing": listing},
                         outs)
    if mode == "app":
        from c64ml.backend6502.app import build_app

        if data is None:
            raise C64mlError("--mode app needs --data with the samples to embed")
        ds, _ = qmodel_data(data, qm)
        check_labels(ds, qm.n_classes, data)
        try:
            plan = build_optimized(qm, optimize, reserve=APP_RESERVE)
            build = build_app(qm, ds, vice_exit=vice_exit, strategies=plan.strategies,
                              split_rows=plan.split_rows)
        except C64mlError as e:
            raise e.at(model) from None
    else:
        if vice_exit:
            raise C64mlError("--vice-exit applies to --mode app only")
        at = parse_address(origin, "--origin")
        try:
            build = build_optimized(qm, optimize, at)
        except C64mlError as e:  # e.g. does not fit: name the model
            raise e.at(model) from None
    for path, content in _outputs(build, fmt, syntax, output, mode == "app").items():
        outs.add(path, content)
    if labels:
        outs.add(labels, labels_text(build.symbols))
    run = source = None
    if listing:  # measured on every sample of --data
        from c64ml.verify.listing import compile_listing

        if data is not None:
            run, source = _measure(build, qm, data, None, None, profile=True)
        outs.add(listing, compile_listing(build, run, source or ""))
    if report:  # on the listing's run, else on the first 64 samples
        from c64ml.backend6502.strategy import layer_report

        if run is None:
            run, source = _measure(build, qm, data, calib, 64)
        rows = layer_report(build, run.layer_cycles, run.phase_cycles)
    info = {"model": qm.name, "mode": mode, "format": fmt, "files": sorted(outs.paths()),
            "origin": build.origin, "end": build.end, "bank_out_basic": build.bank_out_basic,
            "strategies": build.strategies, "abi": build.abi(), "bytes": build.byte_counts()}
    if listing:
        info["listing"] = listing
    if mode == "app":
        info["samples_embedded"], info["samples_given"] = build.samples, len(ds)
    if report:
        info["report"] = {"samples": source, "layers": rows,
                          "cycles_mean": float(run.cycles.mean()),
                          "split": {str(k): v for k, v in run.split().items()}}
    outs.commit()  # all files at once, after all the work (and any Ctrl-C) is done
    if as_json:
        click.echo(json.dumps(info))
        return
    if report:
        from c64ml.backend6502.strategy import report_text

        click.echo(f"per-layer report, cycles measured in the emulated C64 on {source}:")
        click.echo(report_text(rows))
        total = float(run.cycles.mean())
        click.echo(f"whole inference {total:.0f} cycles, of which outside the layers (call, "
                   f"zero page, argmax) {total - sum(r['cycles_mean'] for r in rows):.0f}")
    abi = build.abi()
    click.echo(f"wrote {', '.join(sorted(outs.paths()))}")
    click.echo(f"{qm.name}: ${build.origin:04X}-${build.end - 1:04X}, "
               + ", ".join(f"{k} {v}" for k, v in build.byte_counts().items()) + " bytes")
    click.echo(f"entry ${abi['entry']:04X} (SYS {abi['entry']}), input ${abi['input']:04X} "
               f"({abi['inputs']} bytes), output ${abi['output']:04X} ({abi['output_bytes']} bytes)"
               + (f", class ${abi['class']:04X} (PEEK({abi['class']}))" if "class" in abi else ""))
    if mode == "app":
        click.echo(f"samples: {build.samples} of {len(ds)} in {data} embedded"
                   + ("" if build.samples == len(ds) else " (as many as fit in memory)"))


APP_RESERVE = 6 * 1024  # bytes kept free for an app's driver and some samples


def _measure(build, qm: QModel, data: str | None, calib: str | None, first: int | None,
             profile: bool = False):
    """A harness run of the build (a library, or an app's inference routine) on the first
    ``first`` samples of --data, else --calib (all with None), else 16 random inputs;
    (run, the samples in words)."""
    import numpy as np

    from c64ml.verify.harness import run_build

    path = data or calib
    if path is not None:
        _, q = qmodel_data(path, qm, first)
        source = f"{len(q)} samples of {path}"
    else:
        q = np.random.default_rng(0).integers(0, 256, (16, qm.inputs)).astype(np.uint8)
        source = "16 random inputs"
    return run_build(build, q, profile=profile), source


def _pct(v):
    return "n/a" if v is None else f"{100 * v:.2f}%"


@click.command(short_help="Check the 6502 code bit for bit on a data set.")
@click.argument("model", type=path_arg)
@click.option("--data", required=True, type=path_arg, help="Samples (.npz or .csv), raw units.")
@click.option("--calib", type=path_arg, help="Calibration data, when MODEL is a float model.")
@click.option("--optimize", type=click.Choice([o.value for o in Optimize]), default="size",
              help="Code strategy to verify.")
@click.option("--no-irq", is_flag=True, help="Switch off the simulated KERNAL interrupt.")
@click.option("--engine", type=click.Choice([e.value for e in Engine]), default="fast",
              show_default=True, help="Emulator core: translated blocks, or py65 (identical "
              "results).")
@click.option("--samples", "limit", type=click.IntRange(1), metavar="N",
              help=f"Verify the first N samples only (default: all of them, when there are at "
                   f"most {MAX_VERIFY_SAMPLES}).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def verify(model, data, calib, optimize, no_irq, engine, limit, as_json) -> None:
    """Compile MODEL, run every sample of DATA in the emulated C64 and compare every output
    byte with the NumPy reference and the LLVM JIT. Exits 1 on any mismatch."""
    from c64ml.backend6502.strategy import build_optimized
    from c64ml.verify.verify import verify as run_verify

    qm = qmodel_arg(model, calib)
    ds, _ = qmodel_data(data, qm)
    check_labels(ds, qm.n_classes, data)
    if limit is None and len(ds) > MAX_VERIFY_SAMPLES:
        raise C64mlError(f"{len(ds)} samples; verify runs at most {MAX_VERIFY_SAMPLES} in the "
                         "emulated C64 unless told (give --samples N to verify the first N)",
                         data)
    if limit is not None and limit < len(ds):
        ds = ds.head(limit)
    build = build_optimized(qm, optimize)
    v = run_verify(build, ds, qm.float_model, irq=not no_irq, engine=engine)
    if as_json:
        click.echo(json.dumps({**v.to_json(), "dropped": dropped_operators(qm)}))
    else:
        c, t, b = v.cycles, v.time_ms, v.bytes
        rows = [("samples", str(v.samples)),
                ("mismatches", f"{v.mismatches}" + ("" if v.mismatches == 0 else
                                                    f" (first at sample {v.first_mismatch})")),
                ("accuracy float", _pct(v.accuracy["float"])),
                ("accuracy fixed", _pct(v.accuracy["fixed"])),
                ("accuracy 6502", _pct(v.accuracy["c64"])),
                ("cycles min/mean/max", f"{c['min']} / {c['mean']:.0f} / {c['max']}"),
                ("PAL ms (blanked/screen on)",
                 f"{t['pal']['blanked']:.2f} / {t['pal']['screen_on']:.2f}"),
                ("NTSC ms (blanked/screen on)",
                 f"{t['ntsc']['blanked']:.2f} / {t['ntsc']['screen_on']:.2f}"),
                ("bytes code/tables/data", f"{b['code']} / {b['tables']} / {b['data']}"),
                ("bytes buffers/zeropage/total", f"{b['buffers']} / {b['zeropage']} / {b['total']}")]
        width = max(len(k) for k, _ in rows)
        for k, val in rows:
            click.echo(f"{k:<{width}}  {val}")
    if v.mismatches or v.reference_disagreements:
        raise SystemExit(1)


def predictions(qm: QModel, q, executor: Executor, optimize: str) -> dict:
    """Output values and classes of every row of input bytes ``q`` by ``executor``."""
    import numpy as np

    from c64ml.exec import reference
    from c64ml.verify.verify import classes_from_bytes

    ref = reference.output_bytes(qm, q)
    result: dict = {}
    if executor == Executor.NUMPY:
        out = ref
    elif executor == Executor.JIT:
        from c64ml.exec.jit import compile_qmodel

        out = compile_qmodel(qm).output_bytes(q)
    else:
        from c64ml.backend6502.strategy import build_optimized
        from c64ml.verify.harness import run_build

        run = run_build(build_optimized(qm, optimize), q)
        out = run.outputs
        c = run.cycles
        result["cycles"] = {"min": int(c.min()), "mean": float(c.mean()), "max": int(c.max())}
    values = out[:, :qm.n_out].astype(np.int64)
    if qm.layers[-1].out_kind == ValueKind.S8:
        values = np.where(values >= 128, values - 256, values)
    classes = classes_from_bytes(qm, out, ref, reference.predict(qm, q))
    return {"outputs": values.tolist(), "classes": classes.tolist(), **result}


@click.command(short_help="Each sample's output values and class.")
@click.argument("model", type=path_arg)
@click.option("--data", required=True, type=path_arg,
              help="Samples (.npz or .csv): raw values, or an .npz whose x is int8 (an int8 "
                   "model's input tensor values) or uint8 (input bytes), used as they are.")
@click.option("--calib", type=path_arg, help="Calibration data, when MODEL is a float model.")
@click.option("--on", "executor", type=click.Choice([e.value for e in Executor]),
              default="numpy", show_default=True,
              help="Who computes: the NumPy reference, the LLVM JIT, or the compiled 6502 "
                   "code in the emulated C64.")
@click.option("--optimize", type=click.Choice([o.value for o in Optimize]), default="size",
              help="Code strategy for --on c64.")
@click.option("--samples", "limit", type=click.IntRange(1), metavar="N",
              help="The first N samples only.")
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON: outputs (one list of integers per sample) and classes.")
def predict(model, data, calib, executor, optimize, limit, as_json) -> None:
    """Print each sample's output values (the last layer's integers, signed or unsigned as
    the model defines them) and its class."""
    qm = qmodel_arg(model, calib)
    _, q = qmodel_data(data, qm, limit)
    executor = Executor(executor)
    if executor == Executor.C64 and len(q) > MAX_VERIFY_SAMPLES:
        raise C64mlError(f"{len(q)} samples; the emulated C64 runs at most "
                         f"{MAX_VERIFY_SAMPLES} unless told (give --samples N)", data)
    p = predictions(qm, q, executor, optimize)
    dropped = dropped_operators(qm)
    if as_json:
        click.echo(json.dumps({"model": qm.name, "on": executor.value, "samples": len(q),
                               "output_kind": qm.layers[-1].out_kind.value,
                               "dropped": dropped, **p}))
        return
    names = qm.classes
    for i, (vals, cls) in enumerate(zip(p["outputs"], p["classes"])):
        label = f" ({names[cls]})" if names else ""
        click.echo(f"{i}: {' '.join(str(v) for v in vals)} -> class {cls}{label}")
    if "cycles" in p:
        c = p["cycles"]
        click.echo(f"cycles min/mean/max: {c['min']} / {c['mean']:.0f} / {c['max']}")


COMMANDS = [compile_cmd, verify, predict]
