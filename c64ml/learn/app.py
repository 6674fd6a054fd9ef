"""The C64 program that learns by itself (``c64ml learn -o NAME.prg``): the training data,
``src/learnapp.s``, ``runtime6502/learn.s`` and ``shuffle.s``, assembled at $080D behind a
``SYS`` stub."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np

from c64ml.asm.assembler import Program, assemble
from c64ml.backend6502.runtime import DRIVER_FILES, LEARN_FILES, runtime_source
from c64ml.backend6502.sqtables import tables_source
from c64ml.errors import C64mlError
from c64ml.learn import rules
from c64ml.learn.c64 import RULE_CODE
from c64ml.package.d64 import make_d64
from c64ml.package.prg import SYS_ORIGIN, prg_with_stub
from c64ml.spec import LearnRule

#: The program must end below the BASIC ROM.
TOP = 0xA000
RUNTIME = LEARN_FILES + DRIVER_FILES


def app_driver() -> str:
    return resources.files("c64ml.learn").joinpath("src", "learnapp.s").read_text("utf-8")


def _bytes(label: str, data) -> list[str]:
    out = [f"{label}:"]
    data = [int(v) for v in data]
    for i in range(0, len(data), 16):
        out.append("        .byte " + ", ".join(str(v) for v in data[i:i + 16]))
    return out


@dataclass
class LearnApp:
    """The assembled program and where its weights are."""

    program: Program

    @property
    def weights_at(self) -> int:
        return self.program.symbols["la_w"]

    def prg(self) -> bytes:
        return prg_with_stub(SYS_ORIGIN, self.program.data)

    def d64(self, file_name: str = "LEARN") -> bytes:
        return make_d64([(file_name, self.prg())], disk_name="C64ML LEARN")


def app_source(xa: np.ndarray, y: np.ndarray, units: int, rule: LearnRule, rate: int,
               epochs: int, seed: int) -> str:
    n, rows = xa.shape
    rule = LearnRule(rule)
    header = [f"LA_N = {n}", f"LA_ROWS = {rows}", f"LA_EPOCHS = {epochs}",
              f"LA_SEED = {rules.seed_state(seed)}", f"LA_RULE = {RULE_CODE[rule]}",
              f"LA_K = {rate}", f"LA_M = {units}"]
    title = f"C64ML LEARNS: {rule.value.upper()}, K={rate}, SEED={seed & 0xFFFF}"
    rec = np.concatenate([np.asarray(y, np.uint8)[:, None], xa], axis=1)
    data = ["la_title: .byte 147, \"" + title + "\", 13, 13, 0"]
    data += _bytes("la_rec", rec.ravel())
    data.append("la_ord:")
    data += [f"        .word la_rec + {s * (rows + 1) + 1}" for s in range(n)]
    data.append(f"la_w:   .res {rows * units}")
    return "\n".join(["        jmp la_main", *header, app_driver(), *data,
                      *(runtime_source(f) for f in RUNTIME), tables_source()])


def build_app(xa: np.ndarray, y: np.ndarray, units: int, rule: LearnRule, rate: int,
              epochs: int, seed: int) -> LearnApp:
    """Assemble the program; one C64mlError if the data do not fit below $A000."""
    if epochs > 255:
        raise C64mlError(f"epochs {epochs}: the C64 program counts at most 255",
                         field="epochs")
    n, rows = xa.shape
    need = n * (rows + 3) + rows * units
    if SYS_ORIGIN + need + 4096 > TOP:
        raise C64mlError(f"{n} samples of {rows - 1} features ({need:,} bytes with the order "
                         "and weights) do not fit in the C64's memory with the program; "
                         "write a qmodel instead, or use fewer samples", field="x")
    prog = assemble(app_source(xa, y, units, rule, rate, epochs, seed), "learnapp", SYS_ORIGIN)
    if prog.origin + len(prog.data) > TOP:
        raise C64mlError(f"the program ends at ${prog.origin + len(prog.data):04X}, beyond "
                         "$9FFF: too many samples for the C64", field="x")
    return LearnApp(prog)
