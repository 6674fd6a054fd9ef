"""The classroom demo of learning (``c64ml demo --which learn``, docs/learning.md): the C64
learns a perceptron on points of two or three classes in a plane, live (``src/learn.s``). This module assembles
it, mirrors it in Python with the NumPy reference of the rule (:class:`Mirror`), and
checks a scripted lesson: the weights after every sample, logged by the program in its
memory, against the reference."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from c64ml.asm.assembler import Program, assemble
from c64ml.backend6502.runtime import DRIVER_FILES, LEARN_FILES, runtime_source
from c64ml.backend6502.sqtables import tables_source
from c64ml.demos.builders import demo_source
from c64ml.learn import rules
from c64ml.machine.c64 import C64, RunResult
from c64ml.package.d64 import make_d64
from c64ml.package.prg import SYS_ORIGIN, prg_with_stub
from c64ml.spec import LearnRule

RATE = 4
SEED = 1
LOG_MAX = 1000
COLS, ROWS = 40, 20
MAX_POINTS = 64
#: The corners of the gates (column, row): inputs (0,0), (0,1), (1,0), (1,1).
GATE_CELLS = [(4, 15), (4, 4), (35, 15), (35, 4)]
GATES = {"1": ("AND", [0, 0, 0, 1]), "2": ("OR", [0, 1, 1, 1]), "3": ("XOR", [0, 1, 1, 0])}
UP, DOWN, LEFT, RIGHT = "\x91", "\x11", "\x9d", "\x1d"
#: The scripted lesson of the checks and the screenshot: AND for 12 epochs, then XOR for
#: 30, then two points added by hand and one more epoch.
LESSON = "1" + " " + "L" * 2 + "3" + " " * 3 + DOWN * 5 + RIGHT * 9 + "A" + RIGHT * 20 + "B" + "L"


def xb(cx: int) -> int:
    """The input byte of a column (input 1)."""
    return 6 * cx + 10


def yb(cy: int) -> int:
    """The input byte of a row (input 2, growing upward)."""
    return 12 * (ROWS - 1 - cy) + 14


def demo_program() -> Program:
    """The demo assembled at $080D."""
    header = [f"DL_K = {RATE}", f"DL_SEED = {rules.seed_state(SEED)}", f"DL_LOGMAX = {LOG_MAX}"]
    data = ["dl_xb:  .byte " + ", ".join(str(xb(c)) for c in range(COLS)),
            "dl_yb:  .byte " + ", ".join(str(yb(r)) for r in range(ROWS))]
    src = "\n".join(["        jmp dl_main", *header, demo_source("learn.s"), *data,
                     *(runtime_source(f) for f in LEARN_FILES + DRIVER_FILES),
                     tables_source()])
    return assemble(src, "learn-demo", SYS_ORIGIN)


@dataclass
class LearnDemo:
    program: Program

    def prg(self) -> bytes:
        return prg_with_stub(SYS_ORIGIN, self.program.data)

    def d64(self, file_name: str) -> bytes:
        return make_d64([(file_name, self.prg())], disk_name="C64ML LEARN")

    def run(self, keys: str, max_cycles: int = 400_000_000) -> tuple[RunResult, C64]:
        m = C64()
        return m.run_prg(self.prg(), keys=keys, max_cycles=max_cycles), m

    def weights(self, m: C64) -> np.ndarray:
        """The nine weight bytes (rows x, y, bias of one or three units; the rest 0)."""
        a = self.program.symbols["dl_w"]
        return np.frombuffer(bytes(m.ram[a:a + 9]), np.int8).copy()

    def log(self, m: C64) -> np.ndarray:
        """The weight bytes after every sample, as the program logged them (samples × 9)."""
        s = self.program.symbols
        n = int.from_bytes(bytes(m.ram[s["dl_log"]:s["dl_log"] + 2]), "little")
        raw = bytes(m.ram[s["dl_logbuf"]:s["dl_logbuf"] + 9 * n])
        return np.frombuffer(raw, np.int8).reshape(n, 9).copy()


def build_learn() -> LearnDemo:
    return LearnDemo(demo_program())


@dataclass
class Mirror:
    """The demo's state, kept by the NumPy reference: what the C64 must show."""

    cx: int = 0
    cy: int = 0
    points: list = field(default_factory=list)   # (input bytes with the bias, label)
    order: list = field(default_factory=list)
    state: int = rules.seed_state(SEED)
    w: np.ndarray = field(default_factory=lambda: np.zeros((3, 1), np.int8))
    epoch: int = 0
    errors: int = 0
    preset: str = ""
    log: list = field(default_factory=list)
    errors_per_epoch: list = field(default_factory=list)

    def clear(self) -> None:
        self.points, self.order, self.state = [], [], rules.seed_state(SEED)
        self.w, self.epoch, self.errors, self.preset = np.zeros((3, 1), np.int8), 0, 0, ""

    @property
    def flat(self) -> np.ndarray:
        """The weights as the program keeps them: 9 bytes, row-major, 0 beyond."""
        out = np.zeros(9, np.int8)
        out[:self.w.size] = self.w.ravel()
        return out

    def add(self, label: int, cx: int | None = None, cy: int | None = None) -> None:
        if len(self.points) < MAX_POINTS:
            if label == 2 and self.w.shape[1] == 1:  # one score per class from now on
                self.w = np.zeros((3, 3), np.int8)
            cx, cy = (self.cx, self.cy) if cx is None else (cx, cy)
            self.points.append((np.array([xb(cx), yb(cy), 255], np.uint8), label))
            self.order.append(len(self.points) - 1)

    def epoch_once(self) -> None:
        if not self.points:
            return
        self.state = rules.shuffle(self.order, self.state)
        errors = 0
        for s in self.order:
            x, label = self.points[s]
            self.w, pred, _ = rules.learn_sample(self.w, x, label, LearnRule.PERCEPTRON, RATE)
            errors += pred != label
            self.log.append(self.flat)
        self.epoch += 1
        self.errors = errors
        self.errors_per_epoch.append(errors)

    def keys(self, text: str) -> None:
        for k in text.upper():
            if k == UP:
                self.cy = max(self.cy - 1, 0)
            elif k == DOWN:
                self.cy = min(self.cy + 1, ROWS - 1)
            elif k == LEFT.upper():
                self.cx = max(self.cx - 1, 0)
            elif k == RIGHT:
                self.cx = min(self.cx + 1, COLS - 1)
            elif k in "ABC":
                self.add("ABC".index(k))
            elif k == "L":
                self.epoch_once()
            elif k == " ":
                for _ in range(10):
                    self.epoch_once()
            elif k == "N":
                self.clear()
            elif k in GATES:
                self.clear()
                self.preset = GATES[k][0]
                for (cx, cy), label in zip(GATE_CELLS, GATES[k][1]):
                    self.add(label, cx, cy)

    def region(self) -> np.ndarray:
        """The class the weights give each cell (ROWS × COLS), by §9.1's prediction."""
        x = np.array([[xb(c), yb(r), 255] for r in range(ROWS) for c in range(COLS)])
        return rules.predict_acc(rules.scores(self.w, x)).reshape(ROWS, COLS)


def check_lesson(demo: LearnDemo, keys: str = LESSON) -> dict:
    """Run ``keys`` in the emulated C64 and compare everything with the mirror: the figures
    of ``c64ml demo --which learn``."""
    r, m = demo.run(keys)
    mirror = Mirror()
    mirror.keys(keys)
    log = demo.log(m)
    want = np.array(mirror.log[:LOG_MAX], np.int8).reshape(-1, 9)
    n = min(len(log), len(want))
    mismatches = int(np.sum(np.any(log[:n] != want[:n], axis=1))) + abs(len(log) - len(want))
    if not np.array_equal(demo.weights(m), mirror.flat):
        mismatches += 1
    return {"reason": r.reason, "samples": len(want), "epochs": len(mirror.errors_per_epoch),
            "mismatches": mismatches, "weights": mirror.w.tolist(),
            "errors_per_epoch": mirror.errors_per_epoch, "machine": m, "mirror": mirror}


#: Scripted keys of the screenshots (docs/screenshots/<name>.png): AND learned; XOR not.
SCREENSHOT_KEYS = {
    "learn": "1 ", "learn-xor": "3" + " " * 3,
    "learn-three": (DOWN * 2 + RIGHT * 3 + "A" + RIGHT * 30 + "B" + DOWN * 14 + LEFT * 15
                    + "C" + UP + "C" + LEFT * 10 + UP * 12 + "A" + " "),
}


def screenshot_pngs() -> dict[str, bytes]:
    """The PNGs of the screenshots, by name."""
    from c64ml.machine.screenshot import render_png

    demo = build_learn()
    out = {}
    for name, keys in SCREENSHOT_KEYS.items():
        _, m = demo.run(keys)
        out[name] = render_png(m.screen_codes(), m.colour_ram(), m.border, m.background)
    return out
