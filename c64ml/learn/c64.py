"""Training in the emulated C64: ``runtime6502/learn.s`` called once per sample, the
weights read back from C64 memory after every sample (the probe of ``c64ml learn
--verify``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from c64ml.asm.assembler import assemble
from c64ml.backend6502.runtime import LEARN_FILES, runtime_source
from c64ml.backend6502.sqtables import tables_source
from c64ml.errors import C64mlError
from c64ml.learn.rules import seed_state
from c64ml.machine.c64 import C64
from c64ml.spec import LearnRule

ORIGIN = 0x1000
#: learn.s keeps per-unit arrays of this many entries.
MAX_UNITS = 16
#: Input rows (features + the bias byte) one byte can count.
MAX_ROWS = 255
#: Where the weights may end (below BASIC ROM and I/O).
TOP = 0xA000
RULE_CODE = {LearnRule.PERCEPTRON: 0, LearnRule.LMS: 1}


def learner_source(rows: int, units: int, samples: int = 0) -> str:
    """A program: the sample buffer, the weights, the order table (2 bytes a sample),
    learn.s, shuffle.s, mul8.s and the SQ tables."""
    return "\n".join([
        "        jmp lr_sample",
        f"lr_xbuf: .res {rows}",
        f"lr_wbuf: .res {rows * units}",
        f"lr_obuf: .res {2 * samples}",
        "        .align 256             ; learn.s on a page boundary: its cycles do not "
        "depend on the data's size",
        *(runtime_source(f) for f in LEARN_FILES), tables_source()])


@dataclass
class Step:
    """One sample on the C64."""

    weights: np.ndarray  # int8 (rows × units), read from C64 memory after the sample
    pred: int
    changed: bool
    cycles: int  # lr_sample's cycles, the RTS included, not the caller's JSR


class C64Learner:
    """An emulated C64 holding one model's weights and learn.s."""

    def __init__(self, rows: int, units: int, rule: LearnRule, rate: int,
                 w0: np.ndarray | None = None, irq: bool = True, samples: int = 0,
                 seed: int = 1, engine: str = "fast") -> None:
        check_size(rows, units, samples)
        self.rows, self.units, self.samples = rows, units, samples
        prog = assemble(learner_source(rows, units, samples), "learn", ORIGIN)
        if prog.origin + len(prog.data) > TOP:
            raise C64mlError(f"{rows - 1} features and {units} units need more memory than "
                             "the C64 has for learning", field="x")
        self.sym = prog.symbols
        self.m = C64(irq=irq, engine=engine)
        self.m.load(prog.origin, prog.data)
        s, ram = self.sym, self.m.ram
        for name, value in (("lr_xp", s["lr_xbuf"]), ("lr_wp", s["lr_wbuf"])):
            ram[s[name]], ram[s[name] + 1] = value & 0xFF, value >> 8
        ram[s["lr_rows"]], ram[s["lr_m"]] = rows, units
        ram[s["lr_rule"]], ram[s["lr_k"]] = RULE_CODE[LearnRule(rule)], rate
        state = seed_state(seed)
        ram[s["sh_state"]], ram[s["sh_state"] + 1] = state & 0xFF, state >> 8
        if w0 is not None:
            self.set_weights(w0)

    def set_weights(self, w: np.ndarray) -> None:
        a = self.sym["lr_wbuf"]
        self.m.ram[a:a + self.rows * self.units] = np.asarray(w, np.int8).tobytes()

    def weights(self) -> np.ndarray:
        a = self.sym["lr_wbuf"]
        raw = bytes(self.m.ram[a:a + self.rows * self.units])
        return np.frombuffer(raw, np.int8).reshape(self.rows, self.units).copy()

    def shuffle(self, order: list[int]) -> list[int]:
        """Shuffle ``order`` (sample indices) on the C64 with shuffle.s, the xorshift state
        kept in C64 memory from one epoch to the next; the new order."""
        s, ram = self.sym, self.m.ram
        if len(order) > self.samples:
            raise C64mlError(f"{len(order)} samples for an order table of {self.samples}")
        raw = np.asarray(order, "<u2").tobytes()
        ram[s["lr_obuf"]:s["lr_obuf"] + len(raw)] = raw
        for name, v in (("sh_ord", s["lr_obuf"]), ("sh_n", len(order))):
            ram[s[name]], ram[s[name] + 1] = v & 0xFF, v >> 8
        r = self.m.call(s["sh_shuffle"], max_cycles=200_000_000)
        if r.reason != "return":
            raise C64mlError(f"the shuffle stopped: {r.reason}")
        return np.frombuffer(bytes(ram[s["lr_obuf"]:s["lr_obuf"] + len(raw)]), "<u2").tolist()

    def sample(self, xa: np.ndarray, label: int) -> Step:
        """Run lr_sample on input bytes ``xa`` (bias byte included) and class ``label``."""
        s, ram = self.sym, self.m.ram
        ram[s["lr_xbuf"]:s["lr_xbuf"] + self.rows] = np.asarray(xa, np.uint8).tobytes()
        ram[s["lr_label"]] = label
        r = self.m.call(s["lr_sample"])
        if r.reason != "return":
            raise C64mlError(f"the learning routine stopped: {r.reason}")
        return Step(self.weights(), ram[s["lr_pred"]], bool(ram[s["lr_changed"]]), r.cycles)


def max_samples(rows: int, units: int) -> int:
    """The most samples whose order table (2 bytes each) fits beside the weights and code."""
    return (TOP - ORIGIN - 0x1000 - rows * (units + 1)) // 2


def check_size(rows: int, units: int, samples: int = 0) -> None:
    """Refuse what learn.s cannot hold: too many features, classes or samples."""
    if not 2 <= rows <= MAX_ROWS:
        raise C64mlError(f"has {rows - 1} features; learning on the C64 takes 1 … "
                         f"{MAX_ROWS - 1}", field="x")
    if not 1 <= units <= MAX_UNITS:
        raise C64mlError(f"has {units} classes; learning on the C64 takes 2 … {MAX_UNITS}",
                         field="y")
    if samples > max_samples(rows, units):
        raise C64mlError(f"has {samples} samples, more than the C64's order table can hold "
                         f"({max_samples(rows, units)})", field="x")
