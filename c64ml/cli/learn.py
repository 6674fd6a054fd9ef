"""``c64ml learn``: train a perceptron (or the LMS rule) on the emulated C64 and write the
learned qmodel, or a C64 program that learns by itself (docs/learning.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from c64ml.cli.common import path_arg
from c64ml.errors import C64mlError
from c64ml.fileio import Outputs
from c64ml.learn import rules
from c64ml.learn.session import learn, problem, test_bytes, to_qmodel
from c64ml.model.dataset import load_dataset
from c64ml.spec import LearnRule

FORMATS = ("qmodel", "prg", "d64")
_BY_EXT = {".json": "qmodel", ".prg": "prg", ".d64": "d64"}
#: The step's shift K that suits each rule (docs/learning.md).
DEFAULT_RATE = {LearnRule.PERCEPTRON: 4, LearnRule.LMS: 12}


def _format(output: str, fmt: str | None) -> str:
    if fmt is not None:
        return fmt
    kind = _BY_EXT.get(Path(output).suffix.lower())
    if kind is None:
        raise C64mlError("unknown output kind; name it .json (qmodel), .prg or .d64, or give "
                         "--format", output)
    return kind


def _pct(v: float) -> str:
    return f"{100 * v:.2f}%"


@click.command(short_help="Train a perceptron on the emulated C64, exactly.")
@click.argument("data", type=path_arg)
@click.option("--rule", type=click.Choice([r.value for r in LearnRule]),
              default=LearnRule.PERCEPTRON.value, help="The learning rule (semantics §9).")
@click.option("--epochs", type=click.IntRange(1, 255), default=10, help="Passes over DATA.")
@click.option("--rate", type=click.IntRange(0, rules.MAX_RATE), default=None,
              help="K, the step's shift: a step is floor(|e|·x / 2^K) "
                   "[default: 4 for perceptron, 12 for lms].", show_default=False)
@click.option("--seed", type=click.IntRange(0, 65535), default=1,
              help="Seed of the 16-bit xorshift that orders the samples of each epoch.")
@click.option("--test", "test", type=path_arg, help="Labelled data to measure accuracy on "
              "(default: DATA).")
@click.option("-o", "--output", required=True, type=path_arg,
              help="The learned qmodel (.json), or a program that learns on the C64 (.prg, "
                   ".d64).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="What to write [default: by the extension of -o].", show_default=False)
@click.option("--verify", is_flag=True,
              help="Also run the NumPy reference: every update compared across NumPy, LLVM "
                   "and the C64; exit 1 on any difference.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def learn_cmd(data: str, rule: str, epochs: int, rate: int | None, seed: int, test: str | None,
              output: str, fmt: str | None, verify: bool, as_json: bool) -> None:
    """Train on DATA (.npz or .csv, labelled) in the emulated C64, one sample at a time in a
    seeded order, with the weights in C64 memory compared with the LLVM JIT of the rule
    after every sample; then write the learned model as a qmodel, or as a PRG/D64 that
    repeats the training on a real C64 (or VICE: x64sc FILE.prg)."""
    from c64ml.learn.app import build_app

    fmt = _format(output, fmt)
    rule_e = LearnRule(rule)
    k = DEFAULT_RATE[rule_e] if rate is None else rate
    outs = Outputs(inputs=(data, test))
    outs.claim(output)
    p = problem(load_dataset(data), data)
    tb = None if test is None else test_bytes(p, load_dataset(test), test)
    units = rules.units_for(p.classes)
    app = build_app(p.xa, p.y, units, rule_e, k, epochs, seed) if fmt != "qmodel" else None
    r = learn(p, rule_e, epochs, k, seed, test=tb, verify=verify)
    info = {"learned_by": "c64ml learn", "rule": rule_e.value, "rate": k, "epochs": epochs,
            "seed": seed, "data": Path(data).name}
    if fmt == "qmodel":
        outs.add(output, json.dumps(to_qmodel(p, r.weights, Path(data).stem, info).to_json(),
                                    indent=1) + "\n")
    elif fmt == "prg":
        outs.add(output, app.prg())
    else:
        outs.add(output, app.d64())
    outs.commit()
    doc = {**r.to_json(), "rule": rule_e.value, "rate": k, "seed": seed, "output": output,
           "format": fmt}
    if as_json:
        click.echo(json.dumps(doc))
    else:
        click.echo(f"{r.samples} samples × {r.epochs} epochs, rule {rule_e.value}, K={k}, "
                   f"seed {seed}: {r.updates} updates")
        click.echo("errors per epoch: " + " ".join(str(e) for e in r.errors_per_epoch))
        checked = " and ".join(v.replace("llvm", "LLVM").replace("numpy", "NumPy")
                               for v in r.verified)
        click.echo(f"every update checked in C64 memory against {checked}: "
                   f"{r.mismatches} mismatches")
        click.echo(f"accuracy on {r.accuracy['on']} data: C64 {_pct(r.accuracy['c64'])}, "
                   f"reference {_pct(r.accuracy['reference'])}, the learned qmodel "
                   f"{_pct(r.accuracy['qmodel'])}")
        c = r.cycles
        click.echo(f"cycles per sample {c['per_sample_mean']:,.0f} (min {c['per_sample_min']:,}, "
                   f"max {c['per_sample_max']:,}); per epoch {c['per_epoch_mean']:,.0f}, "
                   f"{c['seconds_per_epoch_pal']:.2f} s on PAL")
        click.echo(f"wrote {output} ({fmt})")
    if r.mismatches:
        sys.exit(1)


COMMANDS = [learn_cmd]
