"""The figures of docs/learning.md: `c64ml learn` (on the emulated C64, every update checked)
against scikit-learn's Perceptron on the same data and the same input bytes.

    .venv/bin/python tools/learning/compare_sklearn.py [--epochs 10]

For each data set it runs the command ``c64ml learn TRAIN --test TEST --epochs N --json``
(perceptron and LMS) and fits ``sklearn.linear_model.Perceptron`` (max_iter N, the
same epochs, random_state 0) on the input bytes of semantics §1 (scaled to 0 … 1), then
prints one Markdown table row per data set.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from sklearn.linear_model import Perceptron

from c64ml.learn.session import problem, test_bytes
from c64ml.model.dataset import load_dataset

ROOT = Path(__file__).resolve().parents[2]
SETS = [("iris", "examples/iris/train.csv", "examples/iris/test.csv"),
        ("fruit colours", "examples/fruit_colors/train.csv", "examples/fruit_colors/test.csv"),
        ("digits", "examples/digits/train.npz", "examples/digits/test.npz"),
        ("overlap", "examples/overlap/train.csv", "examples/overlap/test.csv")]


def c64ml_learn(train: str, test: str, rule: str, epochs: int) -> dict:
    with tempfile.TemporaryDirectory() as d:
        out = subprocess.run([sys.executable, "-m", "c64ml.cli", "learn", train, "--test",
                              test, "--rule", rule, "--epochs", str(epochs), "-o",
                              str(Path(d) / "m.json"), "--json"],
                             cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=10)
    a = ap.parse_args()
    print("| data | features | C64 perceptron | C64 LMS | scikit-learn Perceptron | "
          "cycles/sample (perceptron) | s/epoch PAL (perceptron) |")
    print("|---|---|---|---|---|---|---|")
    for name, train, test in SETS:
        p = problem(load_dataset(ROOT / train), train)
        tx, ty = test_bytes(p, load_dataset(ROOT / test), test)
        sk = Perceptron(max_iter=a.epochs, tol=None, random_state=0)
        sk.fit(p.xa[:, :-1] / 255.0, p.y)
        sk_acc = float(np.mean(sk.predict(tx[:, :-1] / 255.0) == ty))
        per = c64ml_learn(train, test, "perceptron", a.epochs)
        lms = c64ml_learn(train, test, "lms", a.epochs)
        assert per["mismatches"] == 0 and lms["mismatches"] == 0
        print(f"| {name} | {p.xa.shape[1] - 1} | {100 * per['accuracy']['c64']:.1f} % | "
              f"{100 * lms['accuracy']['c64']:.1f} % | {100 * sk_acc:.1f} % | "
              f"{per['cycles']['per_sample_mean']:,.0f} | "
              f"{per['cycles']['seconds_per_epoch_pal']:.2f} |")


if __name__ == "__main__":
    main()
