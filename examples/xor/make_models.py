"""Make the XOR example: a perceptron that cannot learn XOR, and a 2-2-1 MLP that computes it.

Writes, next to this file:

- data.csv: the four rows of the XOR truth table (x1, x2, class);
- perceptron.model.json / perceptron.qmodel.json: one `step` unit trained with
  Rosenblatt's perceptron rule (from zero weights, learning rate 1, rows in
  order, 10 epochs). It cannot be right on all four rows, because no straight
  line separates XOR's classes, so the rule never stops correcting itself;
- mlp.model.json / mlp.qmodel.json: two hand-set `step` hidden units
  (h1 = x1 OR x2, h2 = x1 AND x2) and one `step` output unit (h1 AND NOT h2),
  which is exactly XOR.

Both models read inputs 0 or 1 (input_range [0, 1]) and are quantized with c64ml
on the four rows.

    python examples/xor/make_models.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from c64ml.exec.evaluate import evaluate
from c64ml.model.dataset import Dataset
from c64ml.model.floatmodel import Dense, Model
from c64ml.quantize.ptq import quantize

HERE = Path(__file__).resolve().parent
X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
Y = np.array([0, 1, 1, 0])
CLASSES = ["0", "1"]

#: The MLP's hand-set weights ([input][unit]) and biases.
HIDDEN_W = [[1.0, 1.0],   # x1 feeds both hidden units
            [1.0, 1.0]]   # x2 feeds both hidden units
HIDDEN_B = [-0.5, -1.5]   # unit 0 fires if x1 + x2 ≥ 0.5 (OR), unit 1 if x1 + x2 ≥ 1.5 (AND)
OUT_W = [[1.0],           # + OR
         [-1.0]]          # − AND
OUT_B = [-0.5]            # fires if OR − AND ≥ 0.5: OR but not AND, i.e. XOR


def perceptron(epochs: int = 10) -> tuple[Model, list[int]]:
    """One step unit trained with the perceptron rule; also returns the mistakes per epoch."""
    w, b = np.zeros(2), 0.0
    mistakes = []
    for _ in range(epochs):
        wrong = 0
        for x, y in zip(X, Y):
            error = y - int(x @ w + b >= 0)  # +1: should have fired, −1: should not have
            if error:
                wrong += 1
                w, b = w + error * x, b + error
        mistakes.append(wrong)
    layer = Dense(w[:, None], np.array([b]), "step")
    return Model("xor-perceptron", np.zeros(2), np.ones(2), [layer], "argmax", CLASSES), mistakes


def mlp() -> Model:
    """The 2-2-1 step MLP whose weights are written above."""
    layers = [Dense(np.array(HIDDEN_W), np.array(HIDDEN_B), "step"),
              Dense(np.array(OUT_W), np.array(OUT_B), "step")]
    return Model("xor-mlp", np.zeros(2), np.ones(2), layers, "argmax", CLASSES)


def main() -> None:
    rows = ["x1,x2,class"] + [f"{int(a)},{int(b)},{c}" for (a, b), c in zip(X, Y)]
    (HERE / "data.csv").write_text("\n".join(rows) + "\n")
    data = Dataset(X, Y)
    single, mistakes = perceptron()
    print(f"perceptron rule, mistakes per epoch: {mistakes}")
    for stem, model in (("perceptron", single), ("mlp", mlp())):
        qmodel = quantize(model, X)
        ev = evaluate(model, qmodel, data)
        qmodel.info["calibration_accuracy"] = {"float": ev.float_accuracy,
                                               "fixed": ev.fixed_accuracy}
        model.save(HERE / f"{stem}.model.json")
        qmodel.save(HERE / f"{stem}.qmodel.json")
        print(f"{stem}: predicts {model.predict(X).tolist()} for {Y.tolist()}; "
              f"float {ev.float_accuracy:.2f}, fixed point {ev.fixed_accuracy:.2f}")


if __name__ == "__main__":
    main()
