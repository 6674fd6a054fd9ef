"""Generate the fruit_colors data: synthetic colour-sensor readings of apples, bananas and oranges.

There is no sensor here: this script invents the readings, seeded, so the
files are reproducible. A colour sensor (for example an RGB light sensor with
a white LED held against the fruit) returns red, green and blue counts; the
TinyML recipe divides each by their sum, so the three inputs are the ratios
r/(r+g+b), g/(r+g+b), b/(r+g+b): they lie in [0, 1], add up to 1, and do not
depend on how bright the light was. Only two of them are free, so each class
is a cloud in the (red ratio, green ratio) plane; blue is 1 − red − green.

Each fruit is a Gaussian cloud around a centre, stretched along a ripeness
direction, plus round sensor noise:

    (r, g) = centre + t · ripeness + noise,  t ~ N(0, 1),  noise ~ N(0, σ² I)

| fruit  | centre (r, g, b)   | ripeness step (r, g) | σ     | why |
|--------|--------------------|----------------------|-------|-----|
| apple  | 0.46, 0.28, 0.26   | −0.035, +0.035       | 0.020 | red skin reflects red; green apples and green patches pull towards green; dark red skin leaves blue relatively high |
| banana | 0.41, 0.37, 0.22   | −0.020, +0.025       | 0.020 | yellow = red + green with little blue; unripe bananas are greener |
| orange | 0.51, 0.31, 0.18   | −0.030, +0.020       | 0.020 | orange = much red, some green, the least blue; paler fruit drift towards yellow |

The centres are close on purpose: the light from real fruit is never a pure
colour, and ripeness, lighting angle and skin blemishes smear each class. The
clouds overlap (apple's greener end meets orange and banana, orange's paler end
meets banana), so no model can be 100 % right: the best possible is about 85 %.

Writes train.csv (210 samples per fruit) and test.csv (90 per fruit), columns
red, green, blue, class (0 apple, 1 banana, 2 orange), three decimals.

    python examples/fruit_colors/generate.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 64
CLASSES = ["apple", "banana", "orange"]
#: Per fruit: centre (red, green) ratio, ripeness step (red, green), noise σ.
CLUSTERS = {
    "apple": ((0.46, 0.28), (-0.035, 0.035), 0.020),
    "banana": ((0.41, 0.37), (-0.020, 0.025), 0.020),
    "orange": ((0.51, 0.31), (-0.030, 0.020), 0.020),
}
TRAIN_PER_CLASS = 210
TEST_PER_CLASS = 90


def sample(rng: np.random.Generator, fruit: str, n: int) -> np.ndarray:
    """n readings (red, green, blue ratios) of one fruit, rounded to three decimals."""
    centre, ripeness, sigma = (np.array(v) for v in CLUSTERS[fruit])
    t = rng.standard_normal((n, 1))
    rg = centre + t * ripeness + rng.normal(0.0, sigma, (n, 2))
    rg = np.clip(rg, 0.0, 1.0)
    rg[:, 1] = np.minimum(rg[:, 1], 1.0 - rg[:, 0])  # the three ratios add up to 1
    rgb = np.column_stack([rg, 1.0 - rg.sum(axis=1)])
    return np.round(rgb, 3)


def make_split(rng: np.random.Generator, per_class: int) -> tuple[np.ndarray, np.ndarray]:
    x = np.vstack([sample(rng, fruit, per_class) for fruit in CLASSES])
    y = np.repeat(np.arange(len(CLASSES)), per_class)
    order = rng.permutation(len(y))
    return x[order], y[order]


def csv_text(x: np.ndarray, y: np.ndarray) -> str:
    rows = ["red,green,blue,class"]
    rows += [f"{r:.3f},{g:.3f},{b:.3f},{int(c)}" for (r, g, b), c in zip(x, y)]
    return "\n".join(rows) + "\n"


def generate() -> dict[str, str]:
    """The contents of train.csv and test.csv."""
    rng = np.random.default_rng(SEED)
    train = csv_text(*make_split(rng, TRAIN_PER_CLASS))
    return {"train.csv": train, "test.csv": csv_text(*make_split(rng, TEST_PER_CLASS))}


def main() -> None:
    for name, text in generate().items():
        (HERE / name).write_text(text)
    print(f"wrote train.csv ({TRAIN_PER_CLASS} per fruit) and test.csv ({TEST_PER_CLASS} per fruit)")


if __name__ == "__main__":
    main()
