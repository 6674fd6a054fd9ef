"""Write scikit-learn's bundled wine data (178 samples, 13 chemical measurements, 3
cultivars; no download) as train.csv and test.csv: a stratified 70/30 split, seed 0.

    python examples/wine/make_csv.py [--out DIR | --overwrite]

scikit-learn is needed only here, to read its bundled copy; c64ml trains on the CSVs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from trainout import output_folder  # noqa: E402  (examples/trainout.py)


def write(path: Path, x: np.ndarray, y: np.ndarray) -> None:
    names = load_wine().feature_names
    lines = [",".join([n.replace(",", " ") for n in names] + ["cultivar"])]
    lines += [",".join([f"{v:g}" for v in row] + [str(int(c))]) for row, c in zip(x, y)]
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    out, _ = output_folder(HERE, __doc__)
    data = load_wine()
    x_tr, x_te, y_tr, y_te = train_test_split(data.data, data.target, test_size=0.3,
                                              random_state=0, stratify=data.target)
    write(out / "train.csv", x_tr, y_tr)
    write(out / "test.csv", x_te, y_te)
    print(f"wrote train.csv ({len(y_tr)} samples) and test.csv ({len(y_te)}) to {out}")


if __name__ == "__main__":
    main()
