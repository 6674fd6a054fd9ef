"""Train the digits example: a 64-32-10 MLP on scikit-learn's 8×8 handwritten digits.

The data set ships with scikit-learn (no download): 1797 images of 8×8 pixels,
each pixel an integer 0…16. The model reads the 64 raw pixels (input_range
[0, 16]), has 32 relu hidden units and 10 linear outputs (argmax = the digit).

Writes, to trained/digits/ in the current folder (or --out DIR; --overwrite: next
to this file, replacing the committed files): model.json (float model), qmodel.json
(quantized with c64ml on the training split), qmodel-speed.json (the same with a
shared codebook of 12 weight magnitudes and 30% of the weights pruned, for
``--optimize speed``, as ``c64ml quantize --codebook 12 --prune 0.3`` makes it),
train.npz and test.npz (raw pixels ``x``, labels ``y``; stratified 70/30 split,
fixed seed). With --bundle it also copies the test split to c64ml/demos/data/; the
demo model there is a copy of qmodel-trained.json, which ``c64ml train`` makes (see
this folder's README).

    python examples/digits/train.py [--out DIR | --overwrite] [--bundle]
"""

from __future__ import annotations

import shutil
import sys
import warnings
from pathlib import Path

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from c64ml.exec.evaluate import evaluate
from c64ml.model.dataset import Dataset, save_npz
from c64ml.model.floatmodel import Model
from c64ml.quantize.ptq import compress, quantize

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from trainout import output_folder  # noqa: E402  (examples/trainout.py)

BUNDLE = HERE.parent.parent / "c64ml" / "demos" / "data"


def main() -> None:
    out, args = output_folder(HERE, __doc__, more=lambda p: p.add_argument(
        "--bundle", action="store_true",
        help="also copy qmodel-speed.json and test.npz to c64ml/demos/data/"))
    bundle = args.bundle
    data = load_digits()
    x_tr, x_te, y_tr, y_te = train_test_split(data.data, data.target, test_size=0.3,
                                              random_state=0, stratify=data.target)
    clf = MLPClassifier((32,), activation="relu", max_iter=2000, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x_tr, y_tr)
    model = Model.from_sklearn(clf, input_range=[0, 16], name="digits",
                               classes=[str(d) for d in range(10)])
    qmodel = quantize(model, x_tr)
    ev = evaluate(model, qmodel, Dataset(x_tr, y_tr))
    qmodel.info["calibration_accuracy"] = {"float": ev.float_accuracy, "fixed": ev.fixed_accuracy}
    model.save(out / "model.json")
    qmodel.save(out / "qmodel.json")
    speed = compress(qmodel, codebook=12, prune=0.3, calib=qmodel.input_bytes(x_tr))
    ev = evaluate(model, speed, Dataset(x_tr, y_tr))
    speed.info["calibration_accuracy"] = {"float": ev.float_accuracy, "fixed": ev.fixed_accuracy}
    speed.save(out / "qmodel-speed.json")
    save_npz(out / "train.npz", x_tr, y_tr)
    save_npz(out / "test.npz", x_te, y_te)
    print(f"wrote model.json, qmodel.json, qmodel-speed.json, train.npz and test.npz to {out}")
    test = evaluate(model, qmodel, Dataset(x_te, y_te))
    print(f"scikit-learn test accuracy {clf.score(x_te, y_te):.4f}; c64ml float "
          f"{test.float_accuracy:.4f}, fixed point {test.fixed_accuracy:.4f} "
          f"({len(y_te)} test samples)")
    if bundle:
        shutil.copyfile(out / "test.npz", BUNDLE / "digits_test.npz")
        print(f"copied test.npz to {BUNDLE}")


if __name__ == "__main__":
    main()
