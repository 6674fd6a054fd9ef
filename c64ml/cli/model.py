"""CLI commands for models: ``quantize``, ``info`` and ``eval``."""

from __future__ import annotations

import json

import click

from c64ml import jsonfile
from c64ml.cli.common import (
    float_model_arg,
    imported_lines,
    imported_note,
    input_bytes,
    parse_input_range,
    path_arg,
)
from c64ml.fileio import Outputs
from c64ml.model.dataset import check_labels, load_dataset
from c64ml.model.floatmodel import Model
from c64ml.model.load import load_model_file
from c64ml.model.qmodel import QModel
from c64ml.model.tflite_int8 import IMPORTED_FROM as TFLITE_INT8
from c64ml.spec import Requant


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{100 * v:.2f}%"


@click.command(short_help="Quantize a float model to a fixed-point qmodel.")
@click.argument("model", type=path_arg)
@click.option("--calib", required=True, type=path_arg,
              help="Calibration data (.npz or .csv) in raw feature units.")
@click.option("-o", "--output", required=True, type=path_arg, help="Where to write the qmodel JSON.")
@click.option("--codebook", type=int,
              help="At most this many distinct weight magnitudes, shared by all layers, so the "
                   "unrolled code needs few product tables (--optimize speed).")
@click.option("--prune", type=float, default=0.0, show_default=True,
              help="Zero this fraction of each layer's least important weights (|w| times "
                   "the mean size of its input on the calibration data); zero weights cost "
                   "no cycles or code in unrolled layers.")
@click.option("--input-range", "input_range", metavar="LO,HI",
              help="For an .onnx or .tflite MODEL: the range of every input feature "
                   "(default: each feature's min and max over the calibration data).")
@click.option("--json", "as_json", is_flag=True, help="Print the accuracies as JSON.")
def quantize(model: str, calib: str, output: str, codebook: int | None, prune: float,
             input_range: str | None, as_json: bool) -> None:
    """Quantize a float MODEL to a fixed-point qmodel, using calibration data.

    MODEL is a c64ml model file (.json), an .onnx file or a float .tflite file
    (docs/import.md). Prints the float and fixed-point accuracy on the
    calibration data when it has labels; with --codebook or --prune also the
    accuracy before them, so their cost is plain.
    """
    from c64ml.exec.evaluate import evaluate
    from c64ml.quantize.ptq import check_compression, compress
    from c64ml.quantize.ptq import quantize as run_quantize

    check_compression(codebook, prune)  # before any work: --prune -0.1, nan, 1.0 alike
    lohi = parse_input_range(input_range)
    outs = Outputs(inputs=(model, calib))
    outs.claim(output)
    m, data = float_model_arg(model, calib, lohi)
    if not isinstance(m, Model):
        m = load_model_file(model, Model)  # the one-line refusal of a qmodel
    check_labels(data, m.n_classes, calib)
    note = imported_note(m)
    if note and lohi is not None:
        note["input_range_source"] = "--input-range"
    qm = run_quantize(m, data.x)
    if note:
        qm.info["import"] = note
    plain = None
    if codebook is not None or prune > 0:
        plain = evaluate(None, qm, data).fixed_accuracy
        qm = compress(qm, codebook, prune, qm.input_bytes(data.x))
    ev = evaluate(m, qm, data)
    if ev.labelled:
        qm.info["calibration_accuracy"] = {"float": ev.float_accuracy, "fixed": ev.fixed_accuracy}
        if plain is not None:
            qm.info["calibration_accuracy"]["fixed_before_compression"] = plain
    outs.add(output, jsonfile.dump_json(qm.to_json()))
    outs.commit()
    if as_json:
        extra = {} if plain is None else {"fixed_before_compression": plain}
        click.echo(json.dumps({**ev.to_json(), **extra, **note, "output": output}))
        return
    for line in imported_lines(note, calib, lohi):
        click.echo(line)
    if plain is not None and ev.labelled:
        click.echo(f"codebook {codebook or 'off'}, prune {prune:g}: fixed-point accuracy "
                   f"{_pct(plain)} before, {_pct(ev.fixed_accuracy)} after")
    click.echo(f"wrote {output}: {len(qm.layers)} layers, {qm.params()} parameters, "
               f"{qm.macs()} MACs")
    if ev.labelled:
        click.echo(f"calibration data: {ev.samples} samples, float accuracy "
                   f"{_pct(ev.float_accuracy)}, fixed-point accuracy {_pct(ev.fixed_accuracy)}")
    else:
        click.echo(f"calibration data: {ev.samples} samples, no labels (no accuracy)")


def describe(m: Model | QModel) -> dict:
    """Layers, parameters and MACs of a model, as plain data."""
    is_q = isinstance(m, QModel)
    kinds = m.input_kinds() if is_q else [None] * len(m.layers)
    layers = []
    for k, (layer, kind) in enumerate(zip(m.layers, kinds)):
        d = {"index": k, "inputs": layer.n_in, "units": layer.n_out,
             "activation": layer.activation, "params": int(layer.weights.size + layer.bias.size),
             "macs": int(layer.n_in * layer.n_out)}
        if is_q:
            d["input_kind"] = kind
            d["output_kind"] = layer.out_kind
            d["requant"] = layer.requant
            if layer.requant == Requant.TFLITE:
                d["zero_point"] = layer.zero_point
                d["clamp"] = list(layer.out_range)
                d["multiplier"] = layer.multiplier.tolist()
                d["shift"] = layer.shift.tolist()
                d["scale"] = layer.scale
        layers.append(d)
    d = {"name": m.name, "kind": "qmodel" if is_q else "model", "inputs": m.inputs,
         "output": m.output, "classes": m.classes, "layers": layers,
         "params": int(m.params()), "macs": int(m.macs())}
    extra = getattr(m, "extra", None) or {}
    if is_q and m.info.get("imported_from") == TFLITE_INT8:
        d["imported"] = {"from": TFLITE_INT8, "operators": list(m.info["operators"]),
                         "input": m.info["input"], "output": m.info["output"]}
        if m.info["dropped"]:
            d["imported"]["dropped"] = [x["operator"] for x in m.info["dropped"]]
    if "imported_from" in extra:
        d["imported"] = {"from": extra["imported_from"],
                         "operators": list(extra.get("operators", []))}
        if "dropped" in extra:
            d["imported"]["dropped"] = extra["dropped"]
    return d


@click.command(short_help="Describe a model: layers, parameters, MACs.")
@click.argument("model", type=path_arg)
@click.option("--json", "as_json", is_flag=True, help="Print the description as JSON.")
def info(model: str, as_json: bool) -> None:
    """Describe a float MODEL or a qmodel: layers, parameters and MACs.

    MODEL may also be an .onnx or .tflite file: its operators are listed too."""
    d = describe(load_model_file(model, need_range=False))
    if as_json:
        click.echo(json.dumps(d))
        return
    imp = d.get("imported")
    if imp:
        click.echo(f"{model}: {imp['from']} operators:")
        for op in imp["operators"]:
            click.echo(f"  {op}")
        if "dropped" in imp:
            click.echo(f"dropped: {imp['dropped']} (the class is the same)")
        if "input" in imp:
            i, o = imp["input"], imp["output"]
            click.echo(f"input: {i['dtype']}, int8 scale {i['scale']:.6g} zero point "
                       f"{i['zero_point']}; output: int8 scale {o['scale']:.6g} zero point "
                       f"{o['zero_point']}")
    click.echo(f"{d['name']} ({d['kind']}): {d['inputs']} inputs, output {d['output']}")
    if d["classes"]:
        click.echo("classes: " + ", ".join(d["classes"]))
    click.echo(f"{'layer':>5} {'inputs':>6} {'units':>5} {'activation':<10} {'params':>7} "
               f"{'MACs':>7}")
    for L in d["layers"]:
        click.echo(f"{L['index']:>5} {L['inputs']:>6} {L['units']:>5} {L['activation']:<10} "
                   f"{L['params']:>7} {L['macs']:>7}")
    for L in d["layers"]:
        if L.get("requant") == Requant.TFLITE:
            m, sh = L["multiplier"], L["shift"]
            click.echo(f"layer {L['index']}: TFLite requantization, output zero point "
                       f"{L['zero_point']}, clamp {L['clamp'][0]}..{L['clamp'][1]}, "
                       f"multipliers {min(m)}..{max(m)}, shifts {min(sh)}..{max(sh)}")
    click.echo(f"total: {d['params']} parameters, {d['macs']} multiply-accumulates per inference")


@click.command(name="eval", short_help="Float and fixed-point accuracy on a data set.")
@click.argument("model", type=path_arg)
@click.option("--data", required=True, type=path_arg, help="Data set (.npz or .csv) with labels.")
@click.option("--calib", type=path_arg,
              help="For a float MODEL: calibration data (default: the --data set itself).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def eval_cmd(model: str, data: str, calib: str | None, as_json: bool) -> None:
    """Report float and fixed-point accuracy of MODEL (float model or qmodel) on DATA.

    Fixed-point predictions come from the LLVM JIT of the qmodel. A qmodel
    made by `c64ml quantize` carries its float model, so both figures appear.
    """
    from c64ml.exec.evaluate import evaluate
    from c64ml.quantize.ptq import quantize as run_quantize

    m, cal = float_model_arg(model, calib if calib is not None else data)
    ds = load_dataset(data, m.inputs)
    check_labels(ds, m.n_classes, data)
    if isinstance(m, QModel):
        fm, qm = m.float_model, m
    else:
        fm, qm = m, run_quantize(m, cal.x)
    input_bytes(qm, ds, data)  # data the model cannot take: one line naming the file
    ev = evaluate(fm, qm, ds)
    if as_json:
        click.echo(json.dumps(ev.to_json()))
        return
    click.echo(f"{ev.samples} samples")
    if not ev.labelled:
        click.echo("the data set has no labels: no accuracy to report")
        return
    click.echo(f"float accuracy:       {_pct(ev.float_accuracy)}")
    click.echo(f"fixed-point accuracy: {_pct(ev.fixed_accuracy)}  (LLVM JIT of the qmodel)")


COMMANDS = [quantize, info, eval_cmd]
