"""What a model may be: layer activations, value kinds, output modes, code strategies and
size limits (docs/semantics.md §2). Every kind is an enum; strings from files and the command
line become enums at the boundary (:func:`parse`), so a typo fails there, in one line."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

import numpy as np

from c64ml.errors import C64mlError


class Activation(StrEnum):
    """A layer's activation (docs/semantics.md §4)."""

    LINEAR = "linear"
    RELU = "relu"
    STEP = "step"
    SIGN = "sign"
    HARDTANH = "hardtanh"
    SIGMOID = "sigmoid"
    TANH = "tanh"


class ValueKind(StrEnum):
    """How a byte of an activation vector is read: unsigned 0..255 or signed -128..127."""

    U8 = "u8"
    S8 = "s8"


class OutputMode(StrEnum):
    """What a model returns: the class (argmax of the last layer) or the raw scores."""

    ARGMAX = "argmax"
    SCORES = "scores"


class Strategy(StrEnum):
    """How the 6502 backend runs one layer (c64ml/backend6502/strategy.py)."""

    LOOP = "loop"          # runtime6502/dense.s: code that does not grow with the weights
    UNROLLED = "unrolled"  # c64ml/backend6502/unrolled.py: straight-line code, weights folded in,
    #                        and each unit's activation specialised (unit_act.py)
    UNROLLED_MACS = "unrolled-macs"  # the same accumulation, then runtime6502/activate.s: less
    #                                  code, for a layer whose specialised units do not fit
    UNROLLED_MUL = "unrolled-mul"  # unrolled, and the specialised units multiply by product
    #                                tables (512 bytes per multiplier byte): fastest, biggest
    SPLIT = "split"  # the rows with the most nonzero weights unrolled (as many as fit), the
    #                  rest looped by dense.s first; specialised units (for a layer that does
    #                  not fit unrolled whole)

    @property
    def unrolled(self) -> bool:
        """Whether the layer's multiply-accumulates are straight-line code."""
        return self != Strategy.LOOP

    @property
    def specialised(self) -> bool:
        """Whether each unit's activation is code specialised for it (unit_act.py)."""
        return self in (Strategy.UNROLLED, Strategy.UNROLLED_MUL, Strategy.SPLIT)


class Requant(StrEnum):
    """How a layer turns its accumulator into an output (docs/semantics.md §4)."""

    C64ML = "c64ml"    # 8-bit multiplier, shift right with rounding half up (§4.1)
    TFLITE = "tflite"  # TFLite's 31-bit multiplier, shift and zero point (§4.2)


class Phase(StrEnum):
    """Where an inference's cycles go (harness probes; ``bench --json``, ``--report``)."""

    ACCUMULATE = "accumulate"  # a layer's sums: start constants and multiply-accumulates
    ACTIVATE = "activate"      # a layer's requantization, activation and output bytes
    OVERHEAD = "overhead"      # the rest: set-up, zero page, buffers, argmax, the call


class Executor(StrEnum):
    """Who computes a qmodel's outputs (``c64ml predict --on``)."""

    NUMPY = "numpy"  # c64ml/exec/reference.py
    JIT = "jit"      # c64ml/exec/jit.py
    C64 = "c64"      # the compiled 6502 code in the emulated C64


class LearnRule(StrEnum):
    """A learning rule of ``c64ml learn`` (docs/semantics.md §9)."""

    PERCEPTRON = "perceptron"  # on a mistake, w += sign(e)·floor(x / 2^K), e = ±1
    LMS = "lms"                # every sample, w += sign(e)·floor(|e|·x / 2^K), e = t − o


class LoopForm(StrEnum):
    """Which runtime loop accumulates a ``loop`` layer (chosen by cost, costmodel.loop_form)."""

    TABLES = "tables"  # runtime6502/dense.s, products from the quarter-square tables
    LEVELS = "levels"  # dense.s's levels loop: a codebook's products made once per row
    SPARSE = "sparse"  # runtime6502/sparse.s: only the nonzero weights, grouped by magnitude


class Optimize(StrEnum):
    """What ``compile --optimize`` favours."""

    SIZE = "size"
    SPEED = "speed"


class WeightKind(StrEnum):
    """The integer weights quantization-aware training allows (``c64ml train --weights``)."""

    INT8 = "int8"        # -127..127
    INT4 = "int4"        # -7..7
    TERNARY = "ternary"  # -1, 0, 1


#: Largest weight magnitude of each weight kind.
WEIGHT_LEVELS = {WeightKind.INT8: 127, WeightKind.INT4: 7, WeightKind.TERNARY: 1}


class Multipliers(StrEnum):
    """Which requantization multipliers training may choose (``c64ml train --requant``)."""

    ANY = "any"    # M in 0..255 (semantics §4.1)
    POW2 = "pow2"  # M / 2^S a power of two


E = TypeVar("E", bound=StrEnum)


def parse(enum: type[E], value: object, what: str | None = None) -> E:
    """``value`` as a member of ``enum``, or a one-line C64mlError listing the choices."""
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(m.value for m in enum)
        raise C64mlError(f"{what or enum.__name__} {value!r} is not one of: {choices}") from None


def layer_strategies(strategies: list | tuple | None, n_layers: int) -> list[Strategy]:
    """One checked strategy per layer; ``None`` means every layer loops."""
    if strategies is None:
        return [Strategy.LOOP] * n_layers
    if len(strategies) != n_layers:
        raise C64mlError(f"{len(strategies)} strategies given for {n_layers} layers")
    return [parse(Strategy, s, "strategy") for s in strategies]


ACTIVATIONS = tuple(Activation)
OUTPUTS = tuple(OutputMode)

#: Output kind of each activation.
OUTPUT_KIND = {
    Activation.LINEAR: ValueKind.S8, Activation.RELU: ValueKind.U8, Activation.STEP: ValueKind.U8,
    Activation.SIGN: ValueKind.S8, Activation.HARDTANH: ValueKind.S8,
    Activation.SIGMOID: ValueKind.U8, Activation.TANH: ValueKind.S8,
}
#: Largest magnitude of an input value of each kind (the accumulator bound uses it).
KIND_MAX = {ValueKind.U8: 255, ValueKind.S8: 128}
#: Activations that requantize with multiplier/shift, and those that use a lookup table.
REQUANTIZED = (Activation.LINEAR, Activation.RELU, Activation.HARDTANH, Activation.SIGMOID,
               Activation.TANH)
TABLED = (Activation.SIGMOID, Activation.TANH)
#: Clamp range applied to r for the requantized activations (tables clamp to the index range).
CLAMP = {Activation.LINEAR: (-128, 127), Activation.RELU: (0, 255),
         Activation.HARDTANH: (-127, 127), Activation.SIGMOID: (-128, 127),
         Activation.TANH: (-128, 127)}
TABLE_RANGE = {Activation.SIGMOID: (0, 255), Activation.TANH: (-128, 127)}

MAX_INPUTS = 1024
MAX_UNITS = 255  # a unit index fits an index register
MAX_LAYERS = 8
ACC_BITS = 32
ACC_MAX = 2 ** (ACC_BITS - 1) - 1  # every unit's proven bound (§3)
NARROW_ACC_MAX = 2 ** 23 - 1  # a unit within this bound may use a 24-bit accumulator
MAX_SHIFT = 24
MAX_MULTIPLIER = 255
#: §4.2: TFLite's quantized multiplier and its shift (positive shifts left).
TFL_MAX_MULTIPLIER = 2 ** 31 - 1
TFL_SHIFT_RANGE = (-31, 30)


def input_kind(layer_index: int, activations: list[Activation]) -> ValueKind:
    """Kind of the input vector of layer ``layer_index`` given all layers' activations."""
    return ValueKind.U8 if layer_index == 0 else OUTPUT_KIND[activations[layer_index - 1]]


#: The real-valued function each integer activation approximates.
FLOAT_ACTIVATION = {
    Activation.LINEAR: lambda z: z,
    Activation.RELU: lambda z: np.maximum(z, 0.0),
    Activation.STEP: lambda z: (z >= 0).astype(np.float64),
    Activation.SIGN: lambda z: np.where(z >= 0, 1.0, -1.0),
    Activation.HARDTANH: lambda z: np.clip(z, -1.0, 1.0),
    Activation.SIGMOID: lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)),  # overflow-free logistic
    Activation.TANH: np.tanh,
}


def float_activation(name: Activation, z: np.ndarray) -> np.ndarray:
    """The real-valued activation that the integer one approximates."""
    return FLOAT_ACTIVATION[Activation(name)](z)
