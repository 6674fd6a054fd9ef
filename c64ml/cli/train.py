"""CLI command ``train``: a data set → a float model or a quantization-aware qmodel."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from c64ml import jsonfile
from c64ml.cli.common import path_arg
from c64ml.errors import C64mlError
from c64ml.fileio import Outputs
from c64ml.model.dataset import check_labels, load_dataset
from c64ml.spec import Activation, Multipliers, Optimize, WeightKind, parse
from c64ml.text import check_label

#: Samples the emulator confirms the cycles on when there is no --test data.
CONFIRM_SAMPLES = 200


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{100 * v:.2f}%"


def _hidden(text: str) -> tuple[int, ...]:
    try:
        widths = tuple(int(t) for t in text.split(","))
    except ValueError:
        raise C64mlError(f"{text!r} is not a list of widths like 32 or 32,16 (0: none)",
                         field="--hidden") from None
    return () if widths == (0,) else widths


@click.command(short_help="Train a model (float, or quantization- and cycle-aware) in NumPy.")
@click.argument("data", type=path_arg)
@click.option("--test", "test", type=path_arg, help="Test data (.npz or .csv) to report on.")
@click.option("-o", "--output", required=True, type=path_arg,
              help="Where to write the model: a float model, or a qmodel when training is "
                   "quantization-aware (--weights, --codebook, --prune, --requant pow2, "
                   "--accumulator 16, --target-cycles).")
@click.option("--hidden", default="32", show_default=True, metavar="W[,W…]",
              help="Hidden layer widths; 0 for none (a perceptron).")
@click.option("--activation", default="relu", show_default=True,
              type=click.Choice([a.value for a in (Activation.RELU, Activation.HARDTANH,
                                                   Activation.TANH, Activation.SIGMOID)]),
              help="Hidden activation (quantization-aware: relu or hardtanh).")
@click.option("--epochs", default=200, show_default=True, type=int,
              help="At most this many epochs per phase (early stopping ends sooner).")
@click.option("--seed", default=0, show_default=True, type=int,
              help="Seed of the split, the initial weights and the batches.")
@click.option("--name", help="The model's name (default: the output's file name up to its "
                             "first dot).")
@click.option("--weights", type=click.Choice([w.value for w in WeightKind]),
              help="Quantization-aware training with these integer weights.")
@click.option("--codebook", type=int,
              help="At most this many distinct weight magnitudes, shared by all layers.")
@click.option("--prune", type=float, default=0.0, show_default=True,
              help="Train with this fraction of the weights zero.")
@click.option("--requant", type=click.Choice([m.value for m in Multipliers]), default="any",
              show_default=True, help="pow2: every requantization factor a power of two.")
@click.option("--accumulator", type=click.Choice(["16", "24"]), default="24", show_default=True,
              help="Bits every unit's accumulator bound must fit.")
@click.option("--target-cycles", type=int,
              help="Train until the compiled inference takes at most this many cycles by the "
                   "cost model, then measure it in the emulated C64.")
@click.option("--optimize", type=click.Choice([o.value for o in Optimize]), default="speed",
              show_default=True, help="The code the cycle target is for (compile --optimize).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def train(data, test, output, hidden, activation, epochs, seed, name, weights, codebook, prune,
          requant, accumulator, target_cycles, optimize, as_json) -> None:
    """Train an MLP (or a perceptron, --hidden 0) on DATA in NumPy and write it.

    DATA is a .csv (last column the class, 0..n-1) or .npz (x, y) in raw units.
    Softmax cross-entropy, Adam, mini-batches, early stopping on a validation
    split (15 %); the same --seed gives the same model, byte for byte. With
    --weights, --codebook, --prune, --requant pow2, --accumulator 16 or
    --target-cycles training continues quantization-aware against the exact
    integer arithmetic (docs/semantics.md) and writes a qmodel whose fixed-point
    accuracy is what training measured. docs/training.md has the method.
    """
    from c64ml.exec.evaluate import evaluate
    from c64ml.quantize.ptq import quantize
    from c64ml.train.mlp import TrainOptions, check_training_data, quantized_predict
    from c64ml.train.mlp import train as run_train

    opts = TrainOptions(
        hidden=_hidden(hidden), activation=parse(Activation, activation), epochs=epochs,
        seed=seed, weights=None if weights is None else parse(WeightKind, weights),
        codebook=codebook, prune=prune, requant=parse(Multipliers, requant),
        accumulator=int(accumulator), target_cycles=target_cycles,
        optimize=parse(Optimize, optimize), fit_width=hidden == "32",
        name=check_label(name if name is not None else Path(output).name.split(".")[0] or "model",
                        "--name"))
    opts.check()
    outs = Outputs(inputs=(data, test))
    outs.claim(output)
    ds = load_dataset(data)
    n_classes = check_training_data(ds, data)
    ts = None
    if test is not None:
        ts = load_dataset(test, ds.x.shape[1])
        if ts.y is None:
            raise C64mlError("has no labels", test)
        check_labels(ts, n_classes, test)
    t0 = time.perf_counter()
    result = run_train(ds, opts, n_classes)
    seconds = time.perf_counter() - t0
    qm = result.qmodel
    fixed = qm if qm is not None else quantize(result.model, ds.x)
    report = {"kind": "qmodel" if qm is not None else "model", "output": output,
              "hidden": list(result.hidden), "seconds": round(seconds, 3),
              "epochs": {"float": result.epochs_float, "quantization_aware": result.epochs_qat}}
    for key, d in (("train", ds), ("test", ts)):
        if d is None:
            continue
        ev = evaluate(result.model, fixed, d)
        report[key] = {"samples": ev.samples, "float": ev.float_accuracy,
                       "fixed": ev.fixed_accuracy}
        if qm is not None:
            own = quantized_predict(qm, qm.input_bytes(d.x))
            report[key]["trainer"] = float((own == d.y).mean())
    if qm is not None:
        qm.info["accuracy"] = {k: report[k] for k in ("train", "test") if k in report}
    if result.cycles is not None:
        report["cycles"] = {"optimize": str(opts.optimize), "estimate": round(result.cycles)}
    if target_cycles is not None:
        report["cycles"] |= {"target": target_cycles,
                             "measured": _confirm(qm, ts, test, opts, None) if ts is not None
                             else _confirm(qm, ds, data, opts, CONFIRM_SAMPLES)}
    outs.add(output, jsonfile.dump_json((qm if qm is not None else result.model).to_json()))
    outs.commit()
    if as_json:
        click.echo(json.dumps(report))
        return
    _print(report, opts, qm, result, data, test)


def _confirm(qm, ds, path: str, opts, limit: int | None) -> dict:
    """Build the qmodel as ``compile --optimize`` does and run (the first ``limit``
    samples of) ``ds`` in the emulated C64."""
    from c64ml.backend6502.strategy import build_optimized
    from c64ml.verify.verify import verify

    build = build_optimized(qm, opts.optimize)
    v = verify(build, ds.head(limit))
    return {"data": path, "samples": v.samples, "mean": round(v.cycles["mean"], 1),
            "min": v.cycles["min"], "max": v.cycles["max"], "mismatches": v.mismatches,
            "strategies": [str(s) for s in build.strategies], "c64_accuracy": v.accuracy["c64"]}


def _print(report: dict, opts, qm, result, data: str, test: str | None) -> None:
    m = qm if qm is not None else result.model
    shape = "-".join(str(n) for n in [m.inputs, *[L.n_out for L in m.layers]])
    how = (f"{opts.weights or 'int8'} weights, quantization-aware" if qm is not None
           else "float")
    ep = report["epochs"]
    click.echo(f"trained {shape} {opts.activation if m.layers[:-1] else 'perceptron'} ({how}): "
               f"{ep['float']} float epochs"
               + (f", {ep['quantization_aware']} quantization-aware" if qm is not None else ""))
    nz = sum(int((L.weights != 0).sum()) for L in m.layers)
    click.echo(f"wrote {report['output']}: {len(m.layers)} layers, {m.params()} parameters"
               + (f", {nz} nonzero weights" if qm is not None else ""))
    fixed = "fixed point" if qm is not None else "fixed point after c64ml quantize"
    for key, path in (("train", data), ("test", test)):
        if key in report:
            r = report[key]
            click.echo(f"{key}: {r['samples']} samples of {Path(path).name}, float "
                       f"{_pct(r['float'])}, {fixed} {_pct(r['fixed'])}")
    c = report.get("cycles")
    if c:
        line = f"cycles: {c['estimate']:,} by the cost model (--optimize {c['optimize']})"
        if "measured" in c:
            ms = c["measured"]
            line += (f"; measured in the emulated C64: {ms['mean']:,.0f} mean on "
                     f"{ms['samples']} samples, {ms['mismatches']} mismatches")
        click.echo(line)
        if "measured" in c and c["measured"]["mean"] > c["target"]:
            click.echo(f"note: the measured mean is above the target of {c['target']:,} "
                       "cycles (the cost model priced the training data)")
    click.echo(f"time: {report['seconds']:.1f} s")


COMMANDS = [train]
