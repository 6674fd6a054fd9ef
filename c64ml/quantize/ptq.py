"""Post-training quantization: a float Model plus calibration data → an integer QModel.

The scheme (docs/quantization.md): inputs become bytes over their ranges and the
input mapping is folded into layer 0; weights get one int8 scale per unit;
activations get one scale per layer from the calibration maxima; each unit's
real rescale factor becomes an integer multiplier (≤ 255) and a right shift
(≤ 24). The result obeys docs/semantics.md by construction and is validated.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from c64ml.errors import C64mlError
from c64ml.model.floatmodel import Model
from c64ml.model.qmodel import QLayer, QModel, acc_bounds, validate_qmodel
from c64ml.progress import progress
from c64ml.spec import ACC_MAX, KIND_MAX, MAX_MULTIPLIER, MAX_SHIFT, float_activation

#: Real-valued input range covered by the 256-entry tables (clamped to these bounds).
TABLE_SPAN = {"sigmoid": (1.0, 8.0), "tanh": (0.5, 4.0)}
#: Output scale of the activations with a fixed real range.
FIXED_OUT_SCALE = {"hardtanh": 1 / 127, "sigmoid": 1 / 255, "tanh": 1 / 127,
                   "step": 1.0, "sign": 1.0}


def multiplier_shift(ratio: float) -> tuple[int, int]:
    """Best (M, S) with M ≤ 255, S ≤ 24 and M / 2^S ≈ ratio (M saturates at 255 if ratio is huge)."""
    if ratio <= 0 or not np.isfinite(ratio):
        return 0, 0
    shift = MAX_SHIFT
    while shift > 0 and round(ratio * 2.0 ** shift) > MAX_MULTIPLIER:
        shift -= 1
    return min(int(round(ratio * 2.0 ** shift)), MAX_MULTIPLIER), shift


def fold_input_range(model: Model) -> tuple[np.ndarray, np.ndarray]:
    """Layer 0 weights and bias over input *bytes*: real x = lo + q·(hi − lo)/255."""
    step = (model.input_hi - model.input_lo) / 255.0
    first = model.layers[0]
    return first.weights * step[:, None], first.bias + model.input_lo @ first.weights


def quantize_weights(w: np.ndarray, b: np.ndarray, s_in: float, xmax: int):
    """Per-unit int8 weights and integer biases, widening a unit's scale until its
    accumulator bound fits 24 bits. Returns (Wq, Bq, weight scales)."""
    s_w = np.abs(w).max(axis=0) / 127.0
    s_w[s_w == 0] = 1.0
    while True:
        wq = np.clip(np.round(w / s_w), -127, 127).astype(np.int64)
        bq = np.round(b / (s_in * s_w))
        bound = np.abs(bq) + np.abs(wq).sum(axis=0) * xmax
        over = bound > ACC_MAX
        if not over.any():
            return wq, bq.astype(np.int64), s_w
        s_w = np.where(over, s_w * 2.0, s_w)


#: Calibration samples run through the float model at a time (memory stays a batch's).
CALIB_BATCH = 8192


def calibration_peaks(model: Model, calib_x: np.ndarray) -> list[tuple[float, float]]:
    """Per layer, the largest |pre-activation| and |output| of the float model on the
    calibration inputs as the C64 sees them (rounded to input bytes), batch by batch."""
    probe = QModel(model.name, model.input_lo, model.input_hi, [])
    step = (model.input_hi - model.input_lo) / 255.0
    peaks = [(0.0, 0.0)] * len(model.layers)
    starts = range(0, len(calib_x), CALIB_BATCH)
    for s in progress(starts, "calibrating", len(starts)):
        a = model.input_lo + probe.input_bytes(calib_x[s:s + CALIB_BATCH]) * step
        for k, layer in enumerate(model.layers):
            z = a @ layer.weights + layer.bias
            a = float_activation(layer.activation, z)
            zp, ap = peaks[k]
            peaks[k] = (max(zp, float(np.abs(z).max(initial=0.0))),
                        max(ap, float(np.abs(a).max(initial=0.0))))
    return peaks


def quantize(model: Model, calib_x: np.ndarray) -> QModel:
    """Quantize ``model`` using raw calibration inputs ``calib_x`` (N × inputs)."""
    peaks = calibration_peaks(model, calib_x)
    w0, b0 = fold_input_range(model)
    s_in = 1.0  # layer 0 reads bytes directly
    kind = "u8"
    layers: list[QLayer] = []
    for k, layer in enumerate(model.layers):
        w, b = (w0, b0) if k == 0 else (layer.weights, layer.bias)
        z_peak, a_peak = peaks[k]
        wq, bq, s_w = quantize_weights(w, b, s_in, KIND_MAX[kind])
        s_acc = s_in * s_w
        act = layer.activation
        ql = QLayer(wq, bq, act)
        if act in ("step", "sign"):
            s_out = FIXED_OUT_SCALE[act]
        else:
            if act in TABLE_SPAN:
                lo_span, hi_span = TABLE_SPAN[act]
                s_r = float(np.clip(z_peak, lo_span, hi_span)) / 127.0
                t = np.arange(-128, 128) * s_r
                top = 255 if act == "sigmoid" else 127
                ql.table = np.round(float_activation(act, t) * top).astype(np.int64)
                s_out = FIXED_OUT_SCALE[act]
            elif act == "hardtanh":
                s_r = s_out = FIXED_OUT_SCALE[act]
            else:  # linear, relu: cover the calibration maximum
                top = 255 if act == "relu" else 127
                s_r = s_out = (a_peak if a_peak > 0 else 1.0) / top
            ms = [multiplier_shift(s / s_r) for s in s_acc]
            ql.multiplier = np.array([m for m, _ in ms], dtype=np.int64)
            ql.shift = np.array([s for _, s in ms], dtype=np.int64)
        ql.scale = float(s_out)
        layers.append(ql)
        s_in = s_out
        kind = ql.out_kind
    qm = QModel(model.name, model.input_lo.copy(), model.input_hi.copy(), layers,
                model.output, None if model.classes is None else list(model.classes),
                info={"calibration_samples": int(len(calib_x))}, float_model=model)
    validate_qmodel(qm)
    return qm


def codebook_levels(magnitudes: np.ndarray, k: int) -> np.ndarray:
    """Up to ``k`` integer levels in 1..127 that minimise the squared error of snapping
    ``magnitudes`` (1-D k-means, Lloyd's algorithm from quantile starts; deterministic)."""
    m = magnitudes[magnitudes > 0].astype(np.float64)
    if m.size == 0:
        return np.array([1], dtype=np.int64)
    distinct = np.unique(m)
    if distinct.size <= k:  # nothing to merge (but 128, from -128, becomes 127)
        return np.unique(np.clip(distinct, 1, 127)).astype(np.int64)
    levels = np.unique(np.quantile(m, (np.arange(k) + 0.5) / k))
    while levels.size < k:  # quantile starts can coincide: add the worst-served magnitude
        far = distinct[np.argmax(np.abs(distinct[:, None] - levels[None, :]).min(axis=1))]
        levels = np.unique(np.append(levels, far))
    for _ in range(50):
        idx = np.argmin(np.abs(m[:, None] - levels[None, :]), axis=1)
        new = np.array([m[idx == c].mean() if np.any(idx == c) else levels[c]
                        for c in range(len(levels))])
        if np.allclose(new, levels):
            break
        levels = new
    return np.unique(np.clip(np.round(levels), 1, 127).astype(np.int64))


def snap(weights: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Each nonzero weight to the nearest level of its magnitude, sign kept; zeros stay zero."""
    mag = np.abs(weights)
    nearest = levels[np.argmin(np.abs(mag[..., None] - levels), axis=-1)]
    return np.where(weights == 0, 0, np.sign(weights) * nearest).astype(np.int64)


def snap_down(weights: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Each weight to the largest level not above its magnitude (or 0), sign kept."""
    mag = np.abs(weights)
    below = np.where(levels[None, :] <= mag.reshape(-1, 1), levels[None, :], 0).max(axis=1)
    return (np.sign(weights) * below.reshape(weights.shape)).astype(np.int64)


def prune_smallest(weights: np.ndarray, fraction: float,
                   input_scale: np.ndarray | None = None) -> np.ndarray:
    """Set the ``fraction`` of weights with the smallest importance to zero: |w| times the
    mean magnitude of the input it multiplies (``input_scale``; plain |w| when None), so
    weights on inputs that are nearly always 0 go first."""
    if fraction <= 0:
        return weights
    importance = np.abs(weights) * (1.0 if input_scale is None else
                                    (input_scale[:, None] + 1e-9))
    k = int(round(fraction * weights.size))
    if k == 0:
        return weights
    order = np.argsort(importance, axis=None, kind="stable")[:k]
    out = weights.copy().ravel()
    out[order] = 0
    return out.reshape(weights.shape).astype(np.int64)


def input_scales(qm: QModel, q: np.ndarray) -> list[np.ndarray]:
    """Per layer, the mean magnitude of each input over calibration input bytes ``q``."""
    from c64ml.exec.reference import activate

    x = np.asarray(q, dtype=np.int64)
    out = []
    for layer in qm.layers:
        out.append(np.abs(x).mean(axis=0).astype(np.float64))
        x = activate(layer, x @ layer.weights + layer.bias)
    return out


def check_compression(codebook: int | None, prune: float) -> None:
    """Refuse a codebook size outside 1..127 or a prune fraction outside [0, 1) (NaN too)."""
    if codebook is not None and not 1 <= codebook <= 127:
        raise C64mlError(f"{codebook} is not a codebook size 1..127", field="--codebook")
    if not 0.0 <= prune < 1.0:
        raise C64mlError(f"{prune:g} is not a fraction in [0, 1)", field="--prune")


def compress(qm: QModel, codebook: int | None = None, prune: float = 0.0,
             calib: np.ndarray | None = None) -> QModel:
    """A copy of ``qm`` with pruned weights and/or one shared codebook of at most ``codebook``
    weight magnitudes for all layers (so 6502 product tables stay few). With calibration
    input bytes ``calib``, pruning weighs each weight by its input's mean magnitude. Biases,
    multipliers and shifts are unchanged; the result is validated."""
    check_compression(codebook, prune)
    scales = input_scales(qm, calib) if calib is not None and prune > 0 else \
        [None] * len(qm.layers)
    pruned = [prune_smallest(layer.weights, prune, sc) for layer, sc in zip(qm.layers, scales)]
    layers = [replace(layer, weights=w) for layer, w in zip(qm.layers, pruned)]
    if codebook is not None:
        levels = codebook_levels(np.concatenate([np.abs(L.weights).ravel() for L in layers]),
                                 codebook)
        layers = [replace(L, weights=snap(L.weights, levels)) for L in layers]
    out = replace(qm, layers=layers, info={**qm.info, "codebook": codebook, "prune": prune})
    if codebook is not None:  # rounding up may break a unit's 24-bit bound: round those down
        for k, (bound, old) in enumerate(zip(acc_bounds(out), qm.layers)):
            over = bound > ACC_MAX
            if over.any():
                w = out.layers[k].weights.copy()
                w[:, over] = snap_down(pruned[k][:, over], levels)
                out.layers[k] = replace(out.layers[k], weights=w)
    validate_qmodel(out)
    return out
