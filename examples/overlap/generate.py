"""Generate the overlap data: two classes that no line separates, for comparing the learning
rules of ``c64ml learn`` (docs/learning.md).

Each class is a round Gaussian cloud (σ = 1) in the plane, centred at (0, −0.5) for class 0
and (1, 0.5) for class 1; the centres are √2 apart, so the best possible line (the
perpendicular bisector) is right about Φ(√2 / 2) ≈ 76 % of the time. Seeded, so the files
are reproducible: train.csv (300 samples) and test.csv (1,000), columns x, y, class, three
decimals.

    python examples/overlap/generate.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CENTRES = np.array([[0.0, -0.5], [1.0, 0.5]])


def make(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    y = rng.integers(0, 2, n)
    return CENTRES[y] + rng.normal(size=(n, 2)), y


def write(path: Path, x: np.ndarray, y: np.ndarray) -> None:
    lines = ["x,y,class"] + [f"{a:.3f},{b:.3f},{c}" for (a, b), c in zip(x, y)]
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    rng = np.random.default_rng(2026)
    write(HERE / "train.csv", *make(rng, 300))
    write(HERE / "test.csv", *make(rng, 1000))


if __name__ == "__main__":
    main()
