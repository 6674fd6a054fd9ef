"""Train the two extra models of `c64ml bench`'s suite, on scikit-learn's 8×8 digits.

- ``wide``: a 64-64-32-10 MLP (relu hidden layers, linear outputs);
- ``zero``: a 64-1 perceptron telling digit 0 from the rest (a single ``step`` unit).

Both use the same stratified 70/30 split (seed 0) as examples/digits. Writes
``wide.model.json``, ``wide.qmodel.json``, ``zero.model.json``, ``zero.qmodel.json`` and
``zero_test.npz`` / ``zero_train.npz`` (labels 1 for a zero, 0 otherwise) to
trained/bench/ in the current folder, or to --out DIR; --overwrite replaces the
committed files next to this script.

    python examples/bench/train.py [--out DIR | --overwrite]
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Perceptron
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from c64ml.model.dataset import save_npz
from c64ml.model.floatmodel import Model
from c64ml.quantize.ptq import quantize

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from trainout import output_folder  # noqa: E402  (examples/trainout.py)


def main() -> None:
    out, _ = output_folder(HERE, __doc__)
    data = load_digits()
    x_tr, x_te, y_tr, y_te = train_test_split(data.data, data.target, test_size=0.3,
                                              random_state=0, stratify=data.target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        wide = MLPClassifier((64, 32), activation="relu", max_iter=2000,
                             random_state=0).fit(x_tr, y_tr)
    m = Model.from_sklearn(wide, input_range=[0, 16], name="digits-wide",
                           classes=[str(d) for d in range(10)])
    m.save(out / "wide.model.json")
    quantize(m, x_tr).save(out / "wide.qmodel.json")
    z_tr, z_te = (y_tr == 0).astype(np.int64), (y_te == 0).astype(np.int64)
    zero = Perceptron(random_state=0, max_iter=1000).fit(x_tr, z_tr)
    p = Model.from_sklearn(zero, input_range=[0, 16], name="zero-vs-rest",
                           classes=["other", "zero"])
    p.save(out / "zero.model.json")
    quantize(p, x_tr).save(out / "zero.qmodel.json")
    save_npz(out / "zero_train.npz", x_tr, z_tr)
    save_npz(out / "zero_test.npz", x_te, z_te)
    print(f"wrote the wide and zero models and data to {out}")
    print(f"wide: scikit-learn {wide.score(x_te, y_te):.4f}, c64ml float "
          f"{np.mean(m.predict(x_te) == y_te):.4f}; zero-vs-rest: scikit-learn "
          f"{zero.score(x_te, z_te):.4f}, c64ml float {np.mean(p.predict(x_te) == z_te):.4f}")


if __name__ == "__main__":
    main()
