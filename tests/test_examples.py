"""The example models (examples/xor, fruit_colors, iris, digits) and the bundled demo model:
their files load and agree with each other, the 6502 programs match both references, and
every figure the READMEs quote is what the code computes now."""

from __future__ import annotations

import importlib.util
import json
import re

import numpy as np
import pytest
from click.testing import CliRunner
from testpaths import EXAMPLES, ROOT

from c64ml.backend6502.compiler import build_library
from c64ml.cli import main
from c64ml.exec.evaluate import evaluate
from c64ml.model.dataset import Dataset, check_labels, load_dataset
from c64ml.model.floatmodel import load_model
from c64ml.model.qmodel import load_qmodel
from c64ml.quantize.ptq import quantize
from c64ml.verify.verify import verify

#: (example folder, qmodel, test data, float model, training/calibration data)
CASES = [
    ("xor", "perceptron.qmodel.json", "data.csv", "perceptron.model.json", "data.csv"),
    ("xor", "mlp.qmodel.json", "data.csv", "mlp.model.json", "data.csv"),
    ("fruit_colors", "qmodel.json", "test.csv", "model.json", "train.csv"),
    ("iris", "qmodel.json", "test.csv", "model.json", "train.csv"),
    ("digits", "qmodel.json", "test.npz", "model.json", "train.npz"),
]
IDS = [f"{c[0]}/{c[1]}" for c in CASES]
DIGITS_FAST_SAMPLES = 30
SLACK = 1.10  # README cycles and bytes may be exceeded by at most 10 %

#: A row of a README's "Measured" table (the `c64ml verify --json` figures).
ROW = re.compile(
    r"^\| `(?P<model>[\w.]+)` \| `(?P<data>[\w.]+)` \| (?P<samples>\d+) \| (?P<mismatches>\d+) "
    r"\| (?P<float>[\d.]+) % \| (?P<fixed>[\d.]+) % \| (?P<c64>[\d.]+) % "
    r"\| (?P<cmin>\d+) / (?P<cmean>\d+) / (?P<cmax>\d+) \| (?P<ms>[\d.]+) \| (?P<bytes>\d+) \|$",
    re.M)


def readme_row(folder: str, qmodel: str) -> dict:
    text = (EXAMPLES / folder / "README.md").read_text()
    rows = [m.groupdict() for m in ROW.finditer(text) if m["model"] == qmodel]
    assert len(rows) == 1, f"examples/{folder}/README.md: expected one Measured row for {qmodel}"
    return rows[0]


def pct(v: float) -> str:
    return f"{100 * v:.2f}"


def load_case(folder, qname, dname):
    qm = load_qmodel(EXAMPLES / folder / qname)
    ds = load_dataset(EXAMPLES / folder / dname, qm.inputs)
    return qm, ds


@pytest.mark.parametrize("folder,qname,dname,mname,tname", CASES, ids=IDS)
def test_files_load_and_agree(folder, qname, dname, mname, tname):
    d = EXAMPLES / folder
    model = load_model(d / mname)
    qm, test = load_case(folder, qname, dname)
    train = load_dataset(d / tname, model.inputs)
    for ds, name in ((test, dname), (train, tname)):
        assert ds.y is not None
        check_labels(ds, model.n_classes, name)
    assert qm.float_model is not None
    assert qm.float_model.to_json() == model.to_json()
    # The committed qmodel is what the quantizer makes from the float model and training data.
    again = quantize(model, train.x).to_json()
    committed = qm.to_json()
    for key in ("layers", "input_range", "classes", "output", "name"):
        assert again[key] == committed[key], key
    assert committed["info"]["calibration_samples"] == len(train)


@pytest.mark.parametrize("folder,qname,dname,mname,tname", CASES, ids=IDS)
def test_readme_accuracy_is_what_eval_computes(folder, qname, dname, mname, tname):
    qm, ds = load_case(folder, qname, dname)
    row = readme_row(folder, qname)
    ev = evaluate(qm.float_model, qm, ds)
    assert row["data"] == dname
    assert int(row["samples"]) == ev.samples
    assert row["mismatches"] == "0"
    assert row["float"] == pct(ev.float_accuracy)
    assert row["fixed"] == pct(ev.fixed_accuracy)
    assert row["c64"] == row["fixed"]  # no mismatches: the C64 answers as the reference
    readme = (EXAMPLES / folder / "README.md").read_text()
    assert f"c64ml verify examples/{folder}/{qname} --data examples/{folder}/{dname}" in readme


def check_verification(v, row: dict, full: bool) -> None:
    assert v.mismatches == 0, f"first mismatch at sample {v.first_mismatch}"
    assert v.reference_disagreements == 0
    assert v.accuracy["c64"] == v.accuracy["fixed"]
    # The README's cycles and bytes are a dated measurement: a faster compiler may beat
    # them, but they must never be understated by more than SLACK.
    assert v.cycles["max"] <= SLACK * int(row["cmax"]), "re-measure and update the README"
    assert v.bytes["total"] <= SLACK * int(row["bytes"]), "re-measure and update the README"
    if full:
        assert pct(v.accuracy["c64"]) == row["c64"]
        assert v.cycles["mean"] <= SLACK * int(row["cmean"]), "re-measure and update the README"


@pytest.mark.parametrize("folder,qname,dname,mname,tname", CASES, ids=IDS)
def test_verify_on_the_c64(folder, qname, dname, mname, tname):
    qm, ds = load_case(folder, qname, dname)
    full = folder != "digits"
    if not full:
        ds = Dataset(ds.x[:DIGITS_FAST_SAMPLES], ds.y[:DIGITS_FAST_SAMPLES])
    v = verify(build_library(qm), ds, qm.float_model)
    assert v.samples == len(ds)
    check_verification(v, readme_row(folder, qname), full)


@pytest.mark.slow
def test_verify_digits_whole_test_set():
    qm, ds = load_case("digits", "qmodel.json", "test.npz")
    v = verify(build_library(qm), ds, qm.float_model)
    assert v.samples == 540
    check_verification(v, readme_row("digits", "qmodel.json"), full=True)


def test_verify_command_json_for_xor():
    """The README's command, through the CLI, gives the README's row."""
    folder = EXAMPLES / "xor"
    r = CliRunner().invoke(main, ["verify", str(folder / "mlp.qmodel.json"),
                                  "--data", str(folder / "data.csv"), "--json"])
    assert r.exit_code == 0, r.output
    v = json.loads(r.output)
    row = readme_row("xor", "mlp.qmodel.json")
    assert (v["samples"], v["mismatches"]) == (4, 0)
    assert [pct(v["accuracy"][k]) for k in ("float", "fixed", "c64")] == \
        [row["float"], row["fixed"], row["c64"]]


@pytest.mark.parametrize("folder,test", [("iris", "test.csv"), ("digits", "test.npz"),
                                         ("fruit_colors", "test.csv")])
def test_quantization_costs_at_most_one_point(folder, test):
    qm, ds = load_case(folder, "qmodel.json", test)
    ev = evaluate(qm.float_model, qm, ds)
    assert abs(ev.float_accuracy - ev.fixed_accuracy) <= 0.01


def test_xor_perceptron_fails_and_mlp_solves():
    data = load_dataset(EXAMPLES / "xor" / "data.csv", 2)
    assert sorted(map(tuple, data.x.astype(int).tolist())) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert all(y == (a ^ b) for (a, b), y in zip(data.x.astype(int), data.y))
    ev = {}
    for stem in ("perceptron", "mlp"):
        qm = load_qmodel(EXAMPLES / "xor" / f"{stem}.qmodel.json")
        ev[stem] = evaluate(qm.float_model, qm, data)
    assert ev["perceptron"].float_accuracy <= 0.75 and ev["perceptron"].fixed_accuracy <= 0.75
    assert ev["mlp"].float_accuracy == 1.0 and ev["mlp"].fixed_accuracy == 1.0
    assert [layer.activation for layer in load_model(EXAMPLES / "xor" / "mlp.model.json").layers] \
        == ["step", "step"]
    perceptron = load_model(EXAMPLES / "xor" / "perceptron.model.json")
    assert [(L.n_in, L.n_out, L.activation) for L in perceptron.layers] == [(2, 1, "step")]


def test_bundled_demo_model_equals_the_digits_example():
    data = ROOT / "c64ml" / "demos" / "data"
    assert (data / "digits.qmodel.json").read_bytes() == \
        (EXAMPLES / "digits" / "qmodel-trained.json").read_bytes()
    assert (data / "digits_test.npz").read_bytes() == (EXAMPLES / "digits" / "test.npz").read_bytes()
    assert "540" in (data / "README.md").read_text()


def test_digits_data_is_the_sklearn_split():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x_tr, x_te, y_tr, y_te = train_test_split(d.data, d.target, test_size=0.3,
                                              random_state=0, stratify=d.target)
    for name, x, y in (("train.npz", x_tr, y_tr), ("test.npz", x_te, y_te)):
        ds = load_dataset(EXAMPLES / "digits" / name, 64)
        np.testing.assert_array_equal(ds.x, x)
        np.testing.assert_array_equal(ds.y, y)
    qm = load_qmodel(EXAMPLES / "digits" / "qmodel.json")
    assert [(L.n_in, L.n_out, L.activation) for L in qm.layers] == \
        [(64, 32, "relu"), (32, 10, "linear")]
    assert qm.input_lo.tolist() == [0.0] * 64 and qm.input_hi.tolist() == [16.0] * 64


def _fruit_generator():
    spec = importlib.util.spec_from_file_location(
        "fruit_generate", EXAMPLES / "fruit_colors" / "generate.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_fruit_data_is_what_the_generator_makes():
    gen = _fruit_generator()
    for name, text in gen.generate().items():
        assert (EXAMPLES / "fruit_colors" / name).read_text() == text
    for name, per_class in (("train.csv", gen.TRAIN_PER_CLASS), ("test.csv", gen.TEST_PER_CLASS)):
        ds = load_dataset(EXAMPLES / "fruit_colors" / name, 3)
        assert np.bincount(ds.y).tolist() == [per_class] * 3
        assert ds.x.min() >= 0 and ds.x.max() <= 1
        assert np.all(np.abs(ds.x.sum(axis=1) - 1) <= 0.0015)  # ratios, rounded to 3 decimals


def test_fruit_readme_naive_bayes_figure():
    from sklearn.naive_bayes import GaussianNB

    train = load_dataset(EXAMPLES / "fruit_colors" / "train.csv", 3)
    test = load_dataset(EXAMPLES / "fruit_colors" / "test.csv", 3)
    score = GaussianNB().fit(train.x, train.y).score(test.x, test.y)
    assert f"scores the same\n{pct(score)} %" in (EXAMPLES / "fruit_colors" / "README.md").read_text()
    assert pct(score) == readme_row("fruit_colors", "qmodel.json")["float"]


def test_tutorial_shows_current_output():
    """docs/tutorial.md pastes real output; the info and eval blocks and the worked example
    must still be what the code prints and computes."""
    from c64ml.exec import reference

    text = (ROOT / "docs" / "tutorial.md").read_text()
    fruit = EXAMPLES / "fruit_colors"
    for args in (["info", str(fruit / "model.json")],
                 ["eval", str(fruit / "qmodel.json"), "--data", str(fruit / "test.csv")]):
        r = CliRunner().invoke(main, args)
        assert r.exit_code == 0, r.output
        assert r.output in text, args[0]
    qm = load_qmodel(fruit / "qmodel.json")
    q = qm.input_bytes(np.array([[0.393, 0.326, 0.281]]))[0].astype(np.int64)
    assert q.tolist() == [100, 83, 72]
    layer = qm.layers[0]
    acc = int(layer.bias[3] + q @ layer.weights[:, 3])
    r = int(reference.requantize(np.array([acc]), layer.multiplier[3:4], layer.shift[3:4])[0])
    flat = " ".join(text.split()).replace("−", "-")
    w = ", ".join(str(v) for v in layer.weights[:, 3])
    assert f"the weights {w} and the bias {int(layer.bias[3])}." in flat
    assert f"= {acc} " in flat and f"→ {r} " in flat
    assert (layer.multiplier[3], layer.shift[3]) == (207, 13) and "M = 207 and S = 13" in text
    out = reference.output_bytes(qm, q[None, :])[0]
    assert out[-1] == 0 and out[:3].astype(np.int8).tolist() == [15, 8, -61]


def test_speed_qmodel_is_the_compressed_digits_model():
    """qmodel-speed.json is qmodel.json with --codebook 12 --prune 0.3 on the training data,
    and costs at most one point of test accuracy against the float model."""
    from c64ml.quantize.ptq import compress

    qm = load_qmodel(EXAMPLES / "digits" / "qmodel.json")
    train = load_dataset(EXAMPLES / "digits" / "train.npz", 64)
    again = compress(qm, 12, 0.3, qm.input_bytes(train.x)).to_json()
    committed = load_qmodel(EXAMPLES / "digits" / "qmodel-speed.json").to_json()
    assert again["layers"] == committed["layers"]
    mags = {abs(w) for L in committed["layers"] for row in L["weights"] for w in row} - {0}
    assert len(mags) <= 12
    speed, ds = load_case("digits", "qmodel-speed.json", "test.npz")
    ev = evaluate(speed.float_model, speed, ds)
    assert ev.fixed_accuracy >= ev.float_accuracy - 0.01


def _tree(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_training_writes_to_a_scratch_folder_not_the_committed_files(tmp_path):
    """Following the tutorial must not dirty the checkout: train.py writes to
    ./trained/<example>/ (or --out DIR) and replaces the committed files only with
    --overwrite (another machine's BLAS may change their last digits)."""
    import subprocess
    import sys

    pytest.importorskip("sklearn")
    env = {**__import__("os").environ, "PYTHONPATH": str(ROOT)}
    script = EXAMPLES / "iris" / "train.py"
    before = _tree(EXAMPLES / "iris")
    p = subprocess.run([sys.executable, script], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert sorted(x.name for x in (tmp_path / "trained" / "iris").iterdir()) == \
        ["model.json", "test.csv", "train.csv"]
    assert load_model(tmp_path / "trained" / "iris" / "model.json").name == "iris"
    p = subprocess.run([sys.executable, script, "--out", "elsewhere"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and (tmp_path / "elsewhere" / "model.json").exists(), p.stderr
    assert _tree(EXAMPLES / "iris") == before


@pytest.mark.parametrize("example", ["iris", "fruit_colors", "digits", "bench"])
def test_every_training_script_guards_the_committed_files(tmp_path, example):
    import subprocess
    import sys

    pytest.importorskip("sklearn")
    env = {**__import__("os").environ, "PYTHONPATH": str(ROOT)}
    script = EXAMPLES / example / "train.py"
    before = _tree(EXAMPLES / example)
    for args, words in ((["--out", str(EXAMPLES / example)], "--overwrite"),
                        (["--out", "x", "--overwrite"], "exclude each other")):
        p = subprocess.run([sys.executable, script, *args], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=300)
        assert p.returncode == 2 and words in p.stderr, p.stderr
    p = subprocess.run([sys.executable, script, "--help"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and f"trained/{example}" in " ".join(p.stdout.split())
    assert _tree(EXAMPLES / example) == before and not (tmp_path / "trained").exists()
