"""Train the fruit_colors example: a 3-8-3 MLP that names a fruit from its colour ratios.

Reads train.csv and test.csv (made by generate.py: synthetic red, green and
blue ratios, each in [0, 1]), trains a StandardScaler + MLPClassifier with 8
relu hidden units (fixed seed; the scaler is folded into the first layer), and
writes model.json and qmodel.json (quantized by c64ml on train.csv) to
trained/fruit_colors/ in the current folder, or to --out DIR; --overwrite replaces
the committed files next to this script.

    python examples/fruit_colors/generate.py && python examples/fruit_colors/train.py
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from c64ml.exec.evaluate import evaluate
from c64ml.model.dataset import load_dataset
from c64ml.model.floatmodel import Model
from c64ml.quantize.ptq import quantize

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from trainout import output_folder  # noqa: E402  (examples/trainout.py)

CLASSES = ["apple", "banana", "orange"]


def main() -> None:
    out, _ = output_folder(HERE, __doc__)
    train = load_dataset(HERE / "train.csv", 3)
    test = load_dataset(HERE / "test.csv", 3)
    clf = make_pipeline(StandardScaler(), MLPClassifier((8,), max_iter=3000, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(train.x, train.y)
    model = Model.from_sklearn(clf, input_range=[0, 1], name="fruit_colors", classes=CLASSES)
    qmodel = quantize(model, train.x)
    ev = evaluate(model, qmodel, train)
    qmodel.info["calibration_accuracy"] = {"float": ev.float_accuracy, "fixed": ev.fixed_accuracy}
    model.save(out / "model.json")
    qmodel.save(out / "qmodel.json")
    print(f"wrote model.json and qmodel.json to {out}")
    ev = evaluate(model, qmodel, test)
    print(f"scikit-learn test accuracy {clf.score(test.x, test.y):.4f}; c64ml float "
          f"{ev.float_accuracy:.4f}, fixed point {ev.fixed_accuracy:.4f} ({ev.samples} samples)")


if __name__ == "__main__":
    main()
