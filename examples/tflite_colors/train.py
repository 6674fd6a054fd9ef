"""Train the tflite_colors example: the TinyML colour classifier as an int8 .tflite.

NEEDS TENSORFLOW (not a c64ml dependency; CI does not run this). Use a venv
outside the repo:

    python3 -m venv /work/tfvenv
    /work/tfvenv/bin/pip install tensorflow-cpu tflite-micro numpy
    /work/tfvenv/bin/python examples/tflite_colors/train.py

The workflow of the Arduino TinyML "classify objects by colour" tutorial:
colour-sensor readings turned into the ratios r/(r+g+b), g/(r+g+b),
b/(r+g+b), a small Keras model Dense(16, relu) -> Dense(3) trained on them,
then TensorFlow Lite's post-training full-integer quantization with int8
input and output. The readings are those of examples/fruit_colors
(train.csv, test.csv: red, green, blue, class 0 apple, 1 banana, 2 orange;
synthetic, see that example's README).

Writes (next to this script, or to --out DIR):

- model.tflite: the int8 model (int8 input and output tensors);
- test.npz: x, the test readings quantized with the model's input scale and
  zero point (int8, shape (n, 3)), and y, the labels;
- test_float.npz: x, the raw test ratios (float32), and y.

It prints the float (Keras) and int8 test accuracy; the int8 accuracy is
measured with tflite-micro when it is installed, else with TensorFlow Lite.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "fruit_colors"
CLASSES = ["apple", "banana", "orange"]
SEED = 0


def load(path: Path) -> tuple[np.ndarray, np.ndarray]:
    a = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    return a[:, :3].astype(np.float32), a[:, 3].astype(np.int64)


def int8_predict(model_bytes: bytes, xq: np.ndarray) -> np.ndarray:
    """int8 outputs for int8 inputs, by tflite-micro or else TensorFlow Lite."""
    try:
        from tflite_micro import runtime
    except ImportError:
        runtime = None
    outs = []
    if runtime is not None:
        interp = runtime.Interpreter.from_bytes(model_bytes, arena_size=64 * 1024)
        for row in xq:
            interp.set_input(row.reshape(1, -1), 0)
            interp.invoke()
            outs.append(np.array(interp.get_output(0)).reshape(-1))
        return np.stack(outs)
    import tensorflow as tf

    interp = tf.lite.Interpreter(model_content=model_bytes)
    interp.allocate_tensors()
    i_in = interp.get_input_details()[0]["index"]
    i_out = interp.get_output_details()[0]["index"]
    for row in xq:
        interp.set_tensor(i_in, row.reshape(1, -1))
        interp.invoke()
        outs.append(interp.get_tensor(i_out).reshape(-1).copy())
    return np.stack(outs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE, help="output folder (default: here)")
    args = ap.parse_args()

    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    x_train, y_train = load(DATA / "train.csv")
    x_test, y_test = load(DATA / "test.csv")

    model = keras.Sequential([
        keras.Input((3,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(len(CLASSES)),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=200, batch_size=32, verbose=0, shuffle=True)
    float_acc = float(np.mean(np.argmax(model.predict(x_test, verbose=0), 1) == y_test))

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([row[None]] for row in x_train)
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    tflite = conv.convert()

    interp = tf.lite.Interpreter(model_content=tflite)
    scale, zp = interp.get_input_details()[0]["quantization"]
    xq = np.clip(np.round(x_test / scale) + zp, -128, 127).astype(np.int8)
    int8_acc = float(np.mean(np.argmax(int8_predict(tflite, xq), 1) == y_test))

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "model.tflite").write_bytes(tflite)
    np.savez_compressed(args.out / "test.npz", x=xq, y=y_test)
    np.savez_compressed(args.out / "test_float.npz", x=x_test, y=y_test)
    print(f"input scale {scale!r}, zero point {zp}; model.tflite {len(tflite)} bytes")
    print(f"test accuracy: float {float_acc:.4f}, int8 {int8_acc:.4f} "
          f"({len(y_test)} readings)")


if __name__ == "__main__":
    main()
