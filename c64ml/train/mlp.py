"""A NumPy trainer for perceptrons and small MLPs, optionally quantization- and cycle-aware.

Float training: softmax cross-entropy, Adam, mini-batches, early stopping on a validation
split; the inputs are the C64's input bytes over the training data's per-feature range
(docs/semantics.md §1), scaled to 0..1, so the float model sees what the C64 sees.

Quantization-aware training (QAT) continues from the float model. Its forward pass *is* the
integer arithmetic of docs/semantics.md: integer weights (per-unit scale, optionally a shared
codebook and a pruning mask), integer biases, the accumulator, the requantization
floor((acc·M + R)/2^S) with the multipliers and shifts the export will carry, and the clamp.
The backward pass treats rounding and the requantization as the identity (the straight-through
estimator) and the clamp as a gate. So the exported qmodel computes exactly what the trainer
evaluated: :func:`quantized_predict` and the LLVM JIT agree on every sample.

Cycle-aware training (``target_cycles``) prices each epoch's exported model with the 6502
cost model (c64ml/backend6502/costmodel.py) and prunes further while it is over the target;
hidden units left without inputs or outputs are removed exactly (:func:`drop_dead_units`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from c64ml.backend6502 import costmodel
from c64ml.backend6502.strategy import likely_strategies
from c64ml.errors import C64mlError
from c64ml.exec.reference import activate
from c64ml.model.dataset import Dataset
from c64ml.model.floatmodel import Dense, Model
from c64ml.model.qmodel import QLayer, QModel, validate_qmodel
from c64ml.progress import progress
from c64ml.quantize.ptq import codebook_levels, snap
from c64ml.spec import (
    CLAMP,
    KIND_MAX,
    MAX_INPUTS,
    MAX_LAYERS,
    MAX_SHIFT,
    MAX_UNITS,
    NARROW_ACC_MAX,
    WEIGHT_LEVELS,
    Activation,
    Multipliers,
    Optimize,
    Strategy,
    WeightKind,
    float_activation,
)

#: Hidden activations the trainer offers; QAT takes those that requantize without a table.
HIDDEN = (Activation.RELU, Activation.HARDTANH, Activation.TANH, Activation.SIGMOID)
QAT_HIDDEN = (Activation.RELU, Activation.HARDTANH)
#: Accumulator widths a trained qmodel may be held to (bits: bound).
ACC_LIMIT = {24: NARROW_ACC_MAX, 16: 2 ** 15 - 1}
MAX_SAMPLES = 2_000_000
COST_SAMPLES = 400  # training samples the cost model prices each epoch on
TARGET_CODEBOOK = 8  # weight magnitudes when a speed target is given without --codebook
WIDTH_SHARE = 0.8  # with a target and the default widths: the units alone within this share


@dataclass
class TrainOptions:
    """What to train (``c64ml train``'s options)."""

    hidden: tuple[int, ...] = (32,)
    activation: Activation = Activation.RELU
    epochs: int = 200
    seed: int = 0
    batch: int = 32
    lr: float = 3e-3
    weight_decay: float = 1e-4
    patience: int = 25
    validation: float = 0.15
    weights: WeightKind | None = None
    codebook: int | None = None
    prune: float = 0.0
    requant: Multipliers = Multipliers.ANY
    accumulator: int = 24
    target_cycles: int | None = None
    optimize: Optimize = Optimize.SPEED
    fit_width: bool = True  # with a cycle target, narrow the hidden layers if needed
    name: str = "trained"

    @property
    def byte_shifts(self) -> bool:
        """Shifts that are multiples of 8 (cheaper requantization): with a cycle target."""
        return self.target_cycles is not None

    @property
    def quantized(self) -> bool:
        """Whether training is quantization-aware (the result a qmodel)."""
        return (self.weights is not None or self.codebook is not None or self.prune > 0
                or self.requant != Multipliers.ANY or self.accumulator != 24
                or self.target_cycles is not None)

    def check(self) -> None:
        """One C64mlError naming the option for anything out of range."""
        if not 0 <= len(self.hidden) < MAX_LAYERS or any(not 1 <= h <= MAX_UNITS
                                                         for h in self.hidden):
            raise C64mlError(f"expected up to {MAX_LAYERS - 1} hidden layers of 1..{MAX_UNITS} "
                             "units (0 for none: a perceptron)", field="--hidden")
        if not 1 <= self.epochs <= 100_000:
            raise C64mlError("expected 1..100000", field="--epochs")
        if self.activation not in HIDDEN:
            raise C64mlError("expected one of " + ", ".join(HIDDEN), field="--activation")
        if self.quantized and self.activation not in QAT_HIDDEN:
            raise C64mlError("quantization-aware training takes relu or hardtanh",
                             field="--activation")
        if self.codebook is not None and not 1 <= self.codebook <= 127:
            raise C64mlError(f"{self.codebook} is not a codebook size 1..127", field="--codebook")
        if not 0.0 <= self.prune < 1.0:
            raise C64mlError(f"{self.prune:g} is not a fraction in [0, 1)", field="--prune")
        if self.accumulator not in ACC_LIMIT:
            raise C64mlError("expected 16 or 24", field="--accumulator")
        if self.target_cycles is not None and not 1_000 <= self.target_cycles <= 100_000_000:
            raise C64mlError("expected 1000..100000000 cycles", field="--target-cycles")
        if not 0 <= self.seed < 2 ** 32:
            raise C64mlError("expected 0..4294967295", field="--seed")

    @property
    def levels(self) -> int:
        return WEIGHT_LEVELS[self.weights or WeightKind.INT8]


@dataclass
class TrainResult:
    """The trained models and what training saw."""

    model: Model
    qmodel: QModel | None  # QAT's result, else None (quantize the float model afterwards)
    epochs_float: int
    epochs_qat: int
    history: list[dict] = field(default_factory=list)
    cycles: float | None = None  # the cost model's mean cycles on the training data
    hidden: tuple[int, ...] = ()


# --- data ---------------------------------------------------------------------------


def check_training_data(ds: Dataset, path: str) -> int:
    """The number of classes, or one C64mlError naming the file: labels needed, at least
    two classes, sizes within c64ml's limits."""
    if ds.y is None:
        raise C64mlError("has no labels (a CSV's last column, an .npz's y): nothing to "
                         "train on", path)
    if ds.x_dtype in ("int8", "uint8"):
        raise C64mlError("holds input bytes or int8 tensor values; training needs raw "
                         "features (floats)", path, "x")
    if not 1 <= ds.x.shape[1] <= MAX_INPUTS:
        raise C64mlError(f"has {ds.x.shape[1]} features; c64ml takes 1..{MAX_INPUTS}", path, "x")
    if len(ds) > MAX_SAMPLES:
        raise C64mlError(f"has {len(ds)} samples; the trainer takes at most {MAX_SAMPLES}",
                         path)
    classes = np.unique(ds.y)
    if len(classes) < 2:
        raise C64mlError(f"has only one class ({int(classes[0])}); training needs two or more",
                         path, "y")
    n = int(ds.y.max()) + 1
    if n > MAX_UNITS:
        raise C64mlError(f"has {n} classes; c64ml takes at most {MAX_UNITS}", path, "y")
    if len(ds) < 4:
        raise C64mlError(f"has {len(ds)} samples; training needs at least 4", path)
    return n


def input_range(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per feature, the training data's min and max (max = min + 1 for a constant feature)."""
    lo, hi = x.min(axis=0).astype(np.float64), x.max(axis=0).astype(np.float64)
    hi = np.where(hi > lo, hi, lo + 1.0)
    return lo, hi


def input_bytes(lo: np.ndarray, hi: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The C64's input bytes for raw ``x`` (docs/semantics.md §1, QModel.input_bytes)."""
    return QModel("probe", lo, hi, []).input_bytes(x)


# --- float network ------------------------------------------------------------------


def _act_grad(act: Activation, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    if act == Activation.RELU:
        return (z > 0).astype(np.float64)
    if act == Activation.HARDTANH:
        return ((z > -1) & (z < 1)).astype(np.float64)
    if act == Activation.TANH:
        return 1.0 - a * a
    return a * (1.0 - a)  # sigmoid


def _softmax_grad(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy and its gradient with respect to the logits."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    n = len(y)
    loss = float(-np.mean(np.log(p[np.arange(n), y] + 1e-12)))
    p[np.arange(n), y] -= 1.0
    return loss, p / n


class Adam:
    """Adam over a list of arrays, updated in place."""

    def __init__(self, params: list[np.ndarray], lr: float) -> None:
        self.lr, self.t = lr, 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        self.t += 1
        b1, b2 = 0.9, 0.999
        c1, c2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            p -= self.lr * (m / c1) / (np.sqrt(v / c2) + 1e-8)


def _float_forward(ws, bs, acts, u):
    a, cache = u, []
    for w, b, act in zip(ws, bs, acts):
        z = a @ w + b
        out = z if act == Activation.LINEAR else float_activation(act, z)
        cache.append((a, z, out))
        a = out
    return a, cache


def _float_backward(ws, acts, cache, g):
    grads_w, grads_b = [None] * len(ws), [None] * len(ws)
    for k in range(len(ws) - 1, -1, -1):
        a_in, z, out = cache[k]
        if acts[k] != Activation.LINEAR:
            g = g * _act_grad(acts[k], z, out)
        grads_w[k] = a_in.T @ g
        grads_b[k] = g.sum(axis=0)
        if k:
            g = g @ ws[k].T
    return grads_w, grads_b


# --- the integer forward pass -------------------------------------------------------


def multipliers(ratio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per unit (M, S): M ≤ 255, S ≤ 24, M/2^S nearest ``ratio`` with the largest S that
    keeps M within 255 (as quantize.ptq.multiplier_shift, vectorised)."""
    r = np.asarray(ratio, dtype=np.float64)
    shift = np.full(r.shape, MAX_SHIFT, dtype=np.int64)
    for _ in range(MAX_SHIFT + 1):
        over = (np.round(r * 2.0 ** shift) > 255) & (shift > 0)
        if not over.any():
            break
        shift = np.where(over, shift - 1, shift)
    m = np.minimum(np.round(r * 2.0 ** shift), 255).astype(np.int64)
    return m, shift


def requantize(acc: np.ndarray, m: np.ndarray, s: np.ndarray) -> np.ndarray:
    """docs/semantics.md §4.1: floor((acc·M + R) / 2^S) on int64."""
    half = np.where(s > 0, np.left_shift(1, np.maximum(s - 1, 0)), 0)
    return np.right_shift(acc * m + half, s)


@dataclass
class QState:
    """What QAT keeps besides the float weights: output scales, masks, the codebook."""

    s_out: list[float]
    masks: list[np.ndarray]
    levels: np.ndarray | None = None


@dataclass
class IntLayer:
    """One layer as the integer forward pass computes it (the export's QLayer's fields)."""

    w: np.ndarray  # int64
    b: np.ndarray  # int64
    m: np.ndarray
    s: np.ndarray
    s_w: np.ndarray  # the real value of one weight step, per unit
    s_in: float
    s_out: float
    act: Activation


def _pow2_scales(s_w: np.ndarray, s_in: float, s_out: float) -> np.ndarray:
    """Unit scales widened so that s_in·s_w/s_out is a power of two (2^-24 … 2^7)."""
    e = np.ceil(np.log2(s_w * s_in / s_out))
    e = np.clip(e, -MAX_SHIFT, 7)
    return 2.0 ** e * s_out / s_in


def _byte_shift_scales(s_w: np.ndarray, s_in: float, s_out: float):
    """(M, S, unit scales) with S a multiple of 8 (rq_run then shifts whole bytes: 16 cycles
    less per bit of S mod 8) and M/2^S exactly s_in·s_w/s_out, the scales widened to fit."""
    ratio = s_in * s_w / s_out
    sh = np.clip(8 * np.floor(np.log2(255.0 / ratio) / 8), 0, MAX_SHIFT).astype(np.int64)
    m = np.clip(np.ceil(ratio * 2.0 ** sh - 1e-9), 1, 255).astype(np.int64)
    return m, sh, m / 2.0 ** sh * s_out / s_in


def int_layer(w: np.ndarray, b: np.ndarray, act: Activation, s_in: float, s_out: float,
              xmax: int, opts: TrainOptions, mask: np.ndarray, levels: np.ndarray | None
              ) -> IntLayer:
    """The integer layer of real weights ``w`` and biases ``b`` read at input scale
    ``s_in``: per-unit scales, rounding, codebook, mask, the accumulator bound."""
    L = opts.levels
    wm = w * mask
    if opts.weights == WeightKind.TERNARY:  # threshold at 0.7·mean|w|: scale 1.4·mean|w|
        nz = np.maximum(mask.sum(axis=0), 1)
        s_w = 1.4 * np.abs(wm).sum(axis=0) / nz
    else:
        s_w = np.abs(wm).max(axis=0) / L
    s_w = np.where(s_w > 0, s_w, 1e-3 / (s_in * max(xmax, 1)))
    limit = ACC_LIMIT[opts.accumulator]
    m = sh = None
    for _ in range(64):
        if opts.requant == Multipliers.POW2:
            s_w = _pow2_scales(s_w, s_in, s_out)
        if opts.byte_shifts:
            m, sh, s_w = _byte_shift_scales(s_w, s_in, s_out)
        wi = np.clip(np.round(wm / s_w), -L, L)
        if levels is not None:
            wi = snap(wi.astype(np.int64), levels).astype(np.float64)
        room = limit - np.abs(wi).sum(axis=0) * xmax
        bi = np.round(b / (s_in * s_w))
        if np.all(room >= 1):
            bi = np.clip(bi, -room, room)
            break
        s_w = np.where(room >= 1, s_w, s_w * 1.25)
    else:  # pragma: no cover - the loop always converges: scales grow until weights vanish
        raise C64mlError("could not fit the accumulator bound")
    if m is None:
        m, sh = multipliers(s_in * s_w / s_out)
    return IntLayer(wi.astype(np.int64), bi.astype(np.int64), m, sh, s_w, s_in, s_out, act)


def int_forward(layers: list[IntLayer], q: np.ndarray) -> tuple[list, np.ndarray]:
    """Run the integer layers on input bytes ``q``; return per layer (input, acc, r, y) and
    the last layer's outputs y (integers)."""
    x = q.astype(np.int64)
    cache = []
    for lay in layers:
        acc = (x.astype(np.float64) @ lay.w.astype(np.float64)).astype(np.int64) + lay.b
        r = requantize(acc, lay.m, lay.s)
        lo, hi = CLAMP[lay.act]
        y = np.clip(r, lo, hi)
        cache.append((x, acc, r, y))
        x = y
    return cache, x


def from_qmodel(qm: QModel) -> list[IntLayer]:
    """A qmodel's layers as the trainer's integer forward pass takes them."""
    return [IntLayer(L.weights, L.bias, L.multiplier, L.shift, np.ones(L.n_out), 1.0,
                     L.scale or 1.0, L.activation) for L in qm.layers]


def quantized_predict(qm: QModel, q: np.ndarray) -> np.ndarray:
    """The trainer's own quantized evaluation (the forward pass it trains with): argmax of
    the last layer's integers, the lowest index on ties (docs/semantics.md §6)."""
    _, y = int_forward(from_qmodel(qm), q)
    return np.argmax(y, axis=1).astype(np.int64)


def _qat_backward(ws, layers: list[IntLayer], cache, g):
    """STE gradients: through the clamp's gate, rounding as identity."""
    grads_w, grads_b = [None] * len(ws), [None] * len(ws)
    for k in range(len(ws) - 1, -1, -1):
        lay = layers[k]
        x, acc, r, y = cache[k]
        lo, hi = CLAMP[lay.act]
        g = g * ((r > lo) & (r < hi))
        grads_w[k] = (x * lay.s_in).T @ g
        grads_b[k] = g.sum(axis=0)
        if k:
            g = g @ (lay.w * lay.s_w).T
    return grads_w, grads_b


# --- export -------------------------------------------------------------------------


def to_qmodel(layers: list[IntLayer], lo, hi, name: str, info: dict,
              float_model: Model | None) -> QModel:
    qls = [QLayer(L.w.copy(), L.b.copy(), L.act, L.m.copy(), L.s.copy(), scale=L.s_out)
           for L in layers]
    qm = QModel(name, lo.copy(), hi.copy(), qls, info=info, float_model=float_model)
    validate_qmodel(qm)
    return qm


def drop_dead_units(qm: QModel) -> QModel:
    """Remove hidden units exactly: a unit no later weight reads, and a unit without
    nonzero input weights, whose constant output folds into the next layer's biases."""
    layers = [replace(L) for L in qm.layers]
    for k in range(len(layers) - 1):
        cur, nxt = layers[k], layers[k + 1]
        unread = ~np.any(nxt.weights, axis=1)
        const = ~np.any(cur.weights, axis=0)
        keep = ~(unread | const)
        if keep.all():
            continue
        if not keep.any():  # keep one unit: a layer needs at least one
            keep[int(np.argmax(~unread))] = True
        c = activate(cur, cur.bias[None, :])[0]
        fold = const & ~keep
        bias = nxt.bias + c[fold] @ nxt.weights[fold]
        layers[k] = replace(cur, weights=cur.weights[:, keep], bias=cur.bias[keep],
                            multiplier=cur.multiplier[keep], shift=cur.shift[keep])
        layers[k + 1] = replace(nxt, weights=nxt.weights[keep], bias=bias)
    out = replace(qm, layers=layers)
    validate_qmodel(out)
    return out


def _float_model(ws, bs, acts, lo, hi, name: str) -> Model:
    """The float model over raw features: layer 0 reads (x − lo)/(hi − lo)."""
    span = hi - lo
    w0 = ws[0] / span[:, None]
    b0 = bs[0] - (lo / span) @ ws[0]
    dense = [Dense(w0, b0, acts[0])] + [Dense(w.copy(), b.copy(), a)
                                        for w, b, a in zip(ws[1:], bs[1:], acts[1:])]
    return Model(name, lo.copy(), hi.copy(), dense)


# --- training -----------------------------------------------------------------------


def _split(n: int, fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    perm = rng.permutation(n)
    n_val = max(1, int(round(fraction * n))) if n >= 8 else 0
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def _init(sizes: list[int], acts, rng) -> tuple[list, list]:
    ws, bs = [], []
    for (a, b), act in zip(zip(sizes[:-1], sizes[1:]), acts):
        gain = 2.0 if act == Activation.RELU else 1.0
        ws.append(rng.normal(0.0, np.sqrt(gain / a), (a, b)))
        bs.append(np.zeros(b))
    return ws, bs


def _xmaxes(acts) -> list[int]:
    from c64ml.spec import input_kind

    return [KIND_MAX[input_kind(k, list(acts))] for k in range(len(acts))]


def train(ds: Dataset, opts: TrainOptions, n_classes: int | None = None,
          status: Callable[[dict], None] | None = None) -> TrainResult:
    """Train on ``ds`` (raw features, labels) as ``opts`` says; deterministic for a seed."""
    opts.check()
    n_classes = n_classes or int(ds.y.max()) + 1
    rng = np.random.default_rng(opts.seed)
    lo, hi = input_range(ds.x)
    q = input_bytes(lo, hi, ds.x)
    u = q / 255.0
    y = ds.y.astype(np.int64)
    tr, va = _split(len(y), opts.validation, rng)
    if len(va) == 0:
        va = tr
    hidden = _fit_width(opts, ds.x.shape[1], n_classes, q[tr])
    sizes = [ds.x.shape[1], *hidden, n_classes]
    acts = [opts.activation] * len(hidden) + [Activation.LINEAR]
    ws, bs = _init(sizes, acts, rng)
    history: list[dict] = []
    shown = {"text": ""}

    def describe(_):
        return shown["text"]

    # float phase
    opt = Adam(ws + bs, opts.lr)
    best = (np.inf, [w.copy() for w in ws], [b.copy() for b in bs])
    wait = epochs_float = 0
    for epoch in progress(range(opts.epochs), "training (float)", opts.epochs, describe):
        epochs_float = epoch + 1
        losses = []
        for idx in _batches(tr, opts.batch, rng):
            out, cache = _float_forward(ws, bs, acts, u[idx])
            loss, g = _softmax_grad(out, y[idx])
            gw, gb = _float_backward(ws, acts, cache, g)
            gw = [g_ + opts.weight_decay * w for g_, w in zip(gw, ws)]
            opt.step(ws + bs, gw + gb)
            losses.append(loss)
        out, _ = _float_forward(ws, bs, acts, u[va])
        vloss, _ = _softmax_grad(out, y[va])
        vacc = float(np.mean(np.argmax(out, axis=1) == y[va]))
        history.append({"phase": "float", "epoch": epoch, "loss": float(np.mean(losses)),
                        "val_loss": vloss, "val_accuracy": vacc})
        shown["text"] = f"loss {np.mean(losses):.3f} val acc {100 * vacc:.1f}%"
        if status:
            status(history[-1])
        if vloss < best[0] - 1e-5:
            best, wait = (vloss, [w.copy() for w in ws], [b.copy() for b in bs]), 0
        else:
            wait += 1
            if wait >= opts.patience:
                break
    ws, bs = best[1], best[2]
    fmodel = _float_model(ws, bs, acts, lo, hi, opts.name)
    if not opts.quantized:
        return TrainResult(fmodel, None, epochs_float, 0, history, hidden=tuple(hidden))
    qm, epochs_qat, cycles = _qat(ws, bs, acts, q, y, tr, va, opts, lo, hi, fmodel, rng,
                                  history, shown, describe, status)
    return TrainResult(fmodel, qm, epochs_float, epochs_qat, history, cycles, tuple(hidden))


def _batches(idx: np.ndarray, batch: int, rng) -> list[np.ndarray]:
    perm = idx[rng.permutation(len(idx))]
    return [perm[s:s + batch] for s in range(0, len(perm), batch)]


def _strategy(opts: TrainOptions) -> Strategy:
    return Strategy.UNROLLED if opts.optimize == Optimize.SPEED else Strategy.LOOP


def _fit_width(opts: TrainOptions, n_in: int, n_out: int, q: np.ndarray) -> list[int]:
    """The hidden widths: as asked, or with a cycle target narrowed until the layers' costs
    without any weight (per unit and per layer, by the cost model, every unit requantizing)
    are at most WIDTH_SHARE of it."""
    hidden = list(opts.hidden)
    if opts.target_cycles is None or not hidden or not opts.fit_width:
        return hidden
    st = _strategy(opts)
    while True:
        fixed = _empty_cost(n_in, hidden, n_out, opts.activation, st, q[:COST_SAMPLES])
        if fixed <= WIDTH_SHARE * opts.target_cycles or max(hidden) <= 2:
            return hidden
        hidden = [max(2, int(h * 0.875)) for h in hidden]


def _empty_cost(n_in, hidden, n_out, act, st, q) -> float:
    """Cost-model cycles of a model with these widths and one weight per unit, every unit
    on the requantization's slow path (a pessimistic floor for the per-unit work)."""
    sizes = [n_in, *hidden, n_out]
    layers = []
    for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        w = np.zeros((a, b), dtype=np.int64)
        w[np.arange(b) % a, np.arange(b)] = 1
        layers.append(QLayer(w, np.full(b, 64, dtype=np.int64),
                             act if k < len(hidden) else Activation.LINEAR,
                             np.full(b, 1), np.full(b, 0)))
    qm = QModel("cost", np.zeros(n_in), np.ones(n_in), layers)
    return costmodel.inference_cycles(qm, np.full_like(q, 1), [st] * len(layers))


def _importance(w: np.ndarray, x_real: np.ndarray, per_cycle: bool) -> np.ndarray:
    mean = np.abs(x_real).mean(axis=0)
    if per_cycle:  # per cycle spent: a weight costs only when its input is nonzero
        mean = mean / np.maximum((x_real != 0).mean(axis=0), 1e-3)
    return np.abs(w) * (mean[:, None] + 1e-9)


def _mask(w: np.ndarray, importance: np.ndarray, keep: float) -> np.ndarray:
    """Keep the ``keep`` fraction of weights with the largest importance (ties by order)."""
    k = int(round((1.0 - keep) * w.size))
    mask = np.ones(w.shape)
    if k > 0:
        order = np.argsort(importance, axis=None, kind="stable")[:k]
        mask.ravel()[order] = 0.0
    return mask


def _qat(ws, bs, acts, q, y, tr, va, opts, lo, hi, fmodel, rng, history, shown, describe,
         status):
    n = len(ws)
    xmaxes = _xmaxes(acts)
    # output scales from the float model on the training data
    _, cache = _float_forward(ws, bs, acts, q[tr] / 255.0)
    s_out = []
    for k, (a_in, z, out) in enumerate(cache):
        if acts[k] == Activation.HARDTANH:
            s_out.append(1.0 / 127)
        elif acts[k] == Activation.RELU:
            s_out.append(max(float(np.percentile(out, 99.9)), 1e-6) / 255)
        else:
            s_out.append(max(float(np.abs(z).max()), 1e-6) / 127)
    if (opts.target_cycles is not None and opts.optimize == Optimize.SPEED
            and opts.codebook is None and opts.levels > TARGET_CODEBOOK):
        # unrolled code needs a 512-byte table per weight magnitude: few levels, or no fit
        opts = replace(opts, codebook=TARGET_CODEBOOK)
    st = QState(s_out, [np.ones_like(w) for w in ws])
    keep_goal = 1.0 - opts.prune
    keep = 1.0
    ramp = max(1, min(30, opts.epochs // 3))
    opt = Adam(ws + bs, opts.lr / 3)
    cost_q = q[tr][:COST_SAMPLES]

    def build():
        layers, s_in = [], 1.0 / 255
        for k in range(n):
            layers.append(int_layer(ws[k], bs[k], acts[k], s_in, st.s_out[k], xmaxes[k], opts,
                                    st.masks[k], st.levels))
            s_in = st.s_out[k]
        return layers

    def refresh(epoch: int) -> None:
        """Masks toward the goal, the codebook from the current integer weights."""
        nonlocal keep
        ramp_keep = 1.0 - (1.0 - keep_goal) * min(1.0, (epoch + 1) / ramp)
        keep = min(keep, ramp_keep) if opts.target_cycles is not None else ramp_keep
        layers = build()
        cache, _ = int_forward(layers, q[tr])
        for k in range(n):
            x_real = cache[k][0] * layers[k].s_in
            imp = _importance(ws[k], x_real, opts.target_cycles is not None)
            st.masks[k] = _mask(ws[k], imp, keep)
        if opts.codebook is not None:
            st.levels = None
            layers = build()
            mags = np.concatenate([np.abs(L.w).ravel() for L in layers])
            st.levels = codebook_levels(mags, opts.codebook)

    best = None  # (val accuracy, -val loss, qmodel, cycles)
    wait = epochs = 0
    info = {"trained_by": "c64ml train", "seed": opts.seed, "weights": str(opts.weights
                                                                          or WeightKind.INT8),
            "codebook": opts.codebook, "prune": opts.prune, "requant": str(opts.requant),
            "accumulator_bits": opts.accumulator, "target_cycles": opts.target_cycles}
    for epoch in progress(range(opts.epochs), "training (quantization-aware)", opts.epochs,
                          describe):
        epochs = epoch + 1
        refresh(epoch)
        losses = []
        for idx in _batches(tr, opts.batch, rng):
            layers = build()
            cache, yl = int_forward(layers, q[idx])
            loss, g = _softmax_grad(yl * st.s_out[-1], y[idx])
            gw, gb = _qat_backward(ws, layers, cache, g)
            gw = [(g_ + opts.weight_decay * w) * m for g_, w, m in zip(gw, ws, st.masks)]
            opt.step(ws + bs, gw + gb)
            losses.append(loss)
        layers = build()
        qm = drop_dead_units(to_qmodel(layers, lo, hi, opts.name, dict(info), fmodel))
        _, yv = int_forward(layers, q[va])
        vloss, _ = _softmax_grad(yv * st.s_out[-1], y[va])
        vacc = float(np.mean(np.argmax(yv, axis=1) == y[va]))
        cycles = costmodel.inference_cycles(qm, cost_q, likely_strategies(qm, opts.optimize))
        history.append({"phase": "qat", "epoch": epoch, "loss": float(np.mean(losses)),
                        "val_loss": vloss, "val_accuracy": vacc, "keep": keep,
                        "cycles": cycles})
        shown["text"] = (f"loss {np.mean(losses):.3f} val acc {100 * vacc:.1f}% "
                         f"{cycles:,.0f} cycles")
        if status:
            status(history[-1])
        over = opts.target_cycles is not None and cycles > opts.target_cycles
        if over:  # prune further: the kept share shrinks with the cycles over the target
            keep *= max(0.75, min(0.95, opts.target_cycles / cycles))
        settled = epoch + 1 >= ramp and not over
        if settled and (best is None or (vacc, -vloss) > best[:2]):
            best, wait = (vacc, -vloss, qm, cycles), 0
        elif settled:
            wait += 1
            if wait >= opts.patience:
                break
    if best is None:
        raise C64mlError(f"no model within {opts.target_cycles} cycles after {epochs} epochs "
                         "(the cost model's estimate); try fewer --hidden units, more "
                         "--epochs or a higher --target-cycles", field="--target-cycles")
    return best[2], epochs, best[3]
