"""Large data sets (c64ml/model/dataset.py, c64ml/exec/evaluate.py, `c64ml verify`): memory
bounded by the data itself, and a cap on what verify runs in the emulated C64."""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
from testpaths import EXAMPLES
from testpaths import run_cli as run

from c64ml.cli.compile import MAX_VERIFY_SAMPLES
from c64ml.exec.evaluate import evaluate
from c64ml.model.dataset import Dataset, load_dataset, save_npz
from c64ml.model.load import load_model_file

DIGITS = EXAMPLES / "digits"
IRIS = EXAMPLES / "iris"


def test_evaluate_works_in_batches_beside_the_data():
    """200,000 digit-sized samples (102 MB of float64): evaluating them once took several
    copies of the whole set (1.3 GB for 312,500 samples); now only a batch at a time."""
    qm = load_model_file(DIGITS / "qmodel.json")
    rng = np.random.default_rng(3)
    n = 200_000
    ds = Dataset(rng.integers(0, 17, (n, qm.inputs)).astype(np.float64),
                 rng.integers(0, qm.n_classes, n))
    tracemalloc.start()
    ev = evaluate(qm.float_model, qm, ds)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < ds.x.nbytes / 2, peak      # a batch costs about 25 MB, whatever n is
    # The same figures as one whole-array pass (the reference, not the batched code).
    from c64ml.exec import reference

    assert ev.float_accuracy == np.mean(qm.float_model.predict(ds.x) == ds.y)
    assert ev.fixed_accuracy == np.mean(reference.predict(qm, qm.input_bytes(ds.x)) == ds.y)


def test_a_large_npz_loads_with_one_copy(tmp_path):
    rng = np.random.default_rng(4)
    x = rng.random((200_000, 16))
    save_npz(tmp_path / "d.npz", x, rng.integers(0, 3, len(x)))
    tracemalloc.start()
    ds = load_dataset(tmp_path / "d.npz", 16)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert np.array_equal(ds.x, x) and ds.x.flags.writeable
    # the compressed file and the array's bytes (25.6 MB), read once: float64 is kept as is
    assert peak < x.nbytes + (tmp_path / "d.npz").stat().st_size + 8_000_000, peak


def test_verify_refuses_more_samples_than_its_cap_unless_told(tmp_path):
    rng = np.random.default_rng(5)
    n = MAX_VERIFY_SAMPLES + 1
    save_npz(tmp_path / "many.npz", rng.uniform(4, 8, (n, 4)), rng.integers(0, 3, n))
    r = run("verify", IRIS / "qmodel.json", "--data", tmp_path / "many.npz")
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr == (f"c64ml: error: {tmp_path / 'many.npz'}: {n} samples; verify runs at "
                        f"most {MAX_VERIFY_SAMPLES} in the emulated C64 unless told (give "
                        "--samples N to verify the first N)\n")
    r = run("verify", IRIS / "qmodel.json", "--data", tmp_path / "many.npz", "--samples", "7",
            "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["samples"] == 7
    r = run("verify", IRIS / "qmodel.json", "--data", IRIS / "test.csv", "--samples", "1000",
            "--json")                                  # more than there are: all 45
    assert r.exit_code == 0 and json.loads(r.stdout)["samples"] == 45


def test_quantize_calibrates_in_batches():
    """Calibration once ran the float model over the whole set at once (1.2 GB for 312,500
    digit samples); in batches, the per-layer peaks are those of one whole pass."""
    from c64ml.quantize.ptq import calibration_peaks, quantize
    from c64ml.spec import float_activation

    fm = load_model_file(DIGITS / "model.json")
    rng = np.random.default_rng(6)
    x = rng.integers(0, 17, (98_000, fm.inputs)).astype(np.float64)   # 50 MB
    x[-3] = 16.0                         # the largest inputs in the last, short batch
    tracemalloc.start()
    peaks = calibration_peaks(fm, x)
    quantize(fm, x)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < x.nbytes / 2, peak
    # One whole pass, written out here from docs/semantics.md §1 and the float model.
    lo, hi = fm.input_lo, fm.input_hi
    q = np.clip(np.floor((x - lo) * 255.0 / (hi - lo) + 0.5), 0, 255)
    a = lo + q * ((hi - lo) / 255.0)
    for (z_peak, a_peak), layer in zip(peaks, fm.layers):
        z = a @ layer.weights + layer.bias
        a = float_activation(layer.activation, z)
        assert np.isclose(z_peak, np.abs(z).max(), rtol=1e-12)
        assert np.isclose(a_peak, np.abs(a).max(), rtol=1e-12)
