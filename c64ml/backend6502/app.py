"""The compiler's app mode: a C64 program that runs a model on embedded samples.

``build_app(qmodel, dataset, vice_exit=False)`` assembles, from $080D behind a
``10 SYS 2061`` stub, the driver in ``src/app.s`` that runs ``c64ml_infer`` on every
embedded sample, times each call with the chained CIA2 timer (runtime6502/timer.s),
compares the output bytes with the NumPy reference's, and prints one line per
sample and a summary through CHROUT (runtime6502/print.s). Python writes the
equates, picks the driver's parts the model and options need (no conditional
assembly, so the source exports as it is), and adds the strings and samples.
docs/app.md describes the screen, the memory limit and the timing method.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from c64ml.asm.assembler import assemble
from c64ml.backend6502 import labels
from c64ml.backend6502.codegen import inference_source
from c64ml.backend6502.compiler import Build, place
from c64ml.backend6502.memory_plan import IO_START, bank_back, bank_out
from c64ml.backend6502.runtime import DRIVER_FILES, INFERENCE_FILES, runtime_source
from c64ml.backend6502.sqtables import byte_lines
from c64ml.errors import AddressOverflow, C64mlError
from c64ml.exec.reference import output_bytes
from c64ml.model.dataset import Dataset
from c64ml.model.qmodel import QModel
from c64ml.package.prg import SYS_ORIGIN
from c64ml.spec import layer_strategies
from c64ml.text import asm_comment, screen_text

NAME_MAX = 12  # class names up to this long are printed; longer ones as indices
SCORES_SHOWN = 10  # a "scores" model's line shows this many output bytes in hex
MARK_WRONG, MARK_BUG = "X", "!"


@dataclass
class AppBuild(Build):
    """An app build: the samples embedded (the first ``samples`` of ``total``)."""

    samples: int = 0
    total: int = 0
    record_size: int = 0  # bytes per embedded sample at app_samples
    labelled: bool = False  # records start with the label byte
    runtime_files: tuple[str, ...] = INFERENCE_FILES + DRIVER_FILES

    def byte_counts(self) -> dict[str, int]:
        """The model's byte counts plus the app driver (code, strings, print/timer) and samples."""
        out = super().byte_counts()
        s = self.symbols
        out["app"] = s["app_samples"] - self.origin
        out["samples"] = s["app_samples_end"] - s["app_samples"]
        out["padding"] -= out["app"] + out["samples"]
        return out


def class_names(model: QModel) -> list[str] | None:
    """The names printed for classes, padded to one width, or None to print indices."""
    names = model.classes
    if not names or any(len(n) > NAME_MAX or screen_text(n) != n.upper() for n in names):
        return None
    width = max(len(n) for n in names)
    return [n.upper().ljust(width) for n in names]


def text_lines(label: str, text: str) -> list[str]:
    """A 0-terminated PETSCII string as .byte lines (RETURN written as \\n), as the app and the
    demos print it (screen_text() first for text from outside)."""
    codes = [13 if c == "\n" else ord(c) for c in text]
    return [f"{label}:"] + byte_lines(bytes(codes + [0]))


def _records(model: QModel, ds: Dataset, labelled: bool) -> tuple[bytes, int]:
    """All samples as records [label] + expected output bytes + input bytes; (bytes, size)."""
    q = model.data_bytes(ds.x, ds.x_dtype)
    expected = output_bytes(model, q)
    parts = [expected, q]
    if labelled:
        parts.insert(0, np.asarray(ds.y, dtype=np.uint8)[:, None])
    rec = np.concatenate(parts, axis=1).astype(np.uint8)
    return rec.tobytes(), rec.shape[1]


@cache
def driver_parts() -> dict[str, str]:
    """The parts of ``src/app.s`` by name (each starts at a line ``;; part NAME``); the
    file's header under ``"header"``."""
    text = resources.files("c64ml.backend6502").joinpath("src", "app.s").read_text(
        encoding="utf-8")
    chunks = re.split(r"^;; part (\w+)\n", text, flags=re.MULTILINE)
    return {"header": chunks[0], **dict(zip(chunks[1::2], chunks[2::2]))}


def app_source(model: QModel, records: bytes, record_size: int, k: int, total: int,
               labelled: bool, vice_exit: bool, bank_out_basic: bool,
               strategies: list[str] | None = None,
               split_rows: dict[int, int] | None = None) -> str:
    """The whole program: equates, the driver's parts (src/app.s) this model and these
    options need, strings, print/timer runtime, samples, inference."""
    argmax = model.output == "argmax"
    nout = model.out_bytes
    digits = len(str(k))
    names = class_names(model) if argmax else None
    cls_width = len(names[0]) if names else len(str(model.n_out - 1))
    title = screen_text(f"C64ML APP: {model.name}")[:39]
    head = f"{'#'.rjust(digits)} " + ("OUTPUT BYTES (HEX)" if not argmax else
                                      "PREDICTION".ljust(cls_width) + (" LABEL" if labelled else ""))
    note = (f"SAMPLES {k}" + (f" OF {total} (MEMORY FULL)" if k < total else "")
            + "\n")
    equates = {
        "APP_COUNT": k, "APP_RECORD": record_size,
        "APP_EXPECTED": int(labelled), "APP_INPUT": int(labelled) + nout,
        "APP_OUT_LAST": nout - 1, "APP_DIGITS": digits,
        "APP_CLASS_WIDTH": cls_width,
        "APP_SHOWN": min(model.n_out, SCORES_SHOWN),
        "APP_MARK_WRONG": ord(MARK_WRONG), "APP_MARK_BUG": ord(MARK_BUG),
    }
    part = driver_parts()
    cls = part["class_name" if names else "class_number"]
    if argmax:
        line = [part["prediction"], cls]
        if labelled:
            line += [part["label"], cls, part["label_check"]]
    else:
        line = [part["scores"]] + ([part["scores_more"]] if model.n_out > SCORES_SHOWN else [])
    L = [f"; c64ml app for model \"{asm_comment(model.name)}\": {k} of {total} samples embedded",
         "; generated by c64ml (c64ml/backend6502/app.py, src/app.s); see docs/app.md",
         *(f"{name} = {value}" for name, value in equates.items()),
         "; ---- c64ml/backend6502/src/app.s ----", part["header"], part["start"],
         *(bank_out("app_save01") if bank_out_basic else []), part["main"], *line,
         part["next"], *([part["accuracy"]] if argmax and labelled else []), part["summary"],
         *(bank_back("app_save01") if bank_out_basic else []),
         *([part["vice_exit"]] if vice_exit else []), part["end"], "; ---- generated data ----"]
    if argmax and names:
        L += ["app_cn_lo: .byte " + ",".join(f"<app_cn{i}" for i in range(len(names))),
              "app_cn_hi: .byte " + ",".join(f">app_cn{i}" for i in range(len(names)))]
        for i, n in enumerate(names):
            L += text_lines(f"app_cn{i}", n)
    L += text_lines("app_s_title", f"{title}\n{head}\n")
    L += text_lines("app_s_samples", note)
    L += [part["data"]]
    for name in DRIVER_FILES:
        L += [f"; ---- runtime6502/{name} ----", runtime_source(name)]
    L += ["", f"; ---- {k} samples, {record_size} bytes each: "
          + ("label, " if labelled else "") + f"{nout} expected output bytes, "
          f"{model.inputs} input bytes ----", "app_samples:"]
    L += byte_lines(records[:k * record_size], 32)
    L += ["app_samples_end:", "",
          inference_source(model, bank_out_basic, strategies, split_rows=split_rows)]
    return "\n".join(L)


def build_app(model: QModel, dataset: Dataset, vice_exit: bool = False,
              strategies: list[str] | None = None,
              split_rows: dict[int, int] | None = None) -> AppBuild:
    """Compile the app for ``model`` with as many samples of ``dataset`` as fit in memory,
    with one code strategy per layer (c64ml/backend6502/strategy.py; default all "loop")
    and, for ``split`` layers, the rows unrolled (split.py)."""
    total = len(dataset)
    if total == 0:
        raise C64mlError("the data set holds no samples to embed in the app", field="data")
    if total > 0xFFFF:
        total = 0xFFFF  # a 16-bit sample counter; far more than memory holds anyway
    labelled = model.output == "argmax" and dataset.y is not None
    records, size = _records(model, dataset.head(total), labelled)

    def src(k: int, bank: bool) -> str:
        return app_source(model, records, size, k, total, labelled, vice_exit, bank, strategies,
                          split_rows)

    def fits(k: int) -> bool:
        """Whether k samples fit with BASIC banked out (the largest region)."""
        try:
            end = assemble(src(k, True), f"{model.name}.s", SYS_ORIGIN).symbols[labels.END]
        except AddressOverflow:
            return False
        return end <= IO_START

    # Size grows by `size` bytes a sample, give or take the 256-byte alignment of the
    # model's tables: guess from one sample's end address, check the guess and the next,
    # and bisect only if the guess was off.
    lo, hi = 0, total + 1  # lo samples fit (0: none known), hi do not (or hi > total)
    end1 = assemble(src(1, True), f"{model.name}.s", SYS_ORIGIN).symbols[labels.END]
    if end1 <= IO_START:
        lo = 1
        guess = min(total, 1 + (IO_START - end1) // size)
        for k in (guess, guess + 1):
            if lo < k < hi:
                lo, hi = (k, hi) if fits(k) else (lo, k)
        while lo + 1 < hi:
            k = (lo + hi) // 2
            lo, hi = (k, hi) if fits(k) else (lo, k)
    k = max(lo, 1)  # with none fitting, place() refuses with the numbers
    best = place(lambda bank: src(k, bank), SYS_ORIGIN,
                 f"app for {model.name!r} with {k} sample{'s' if k > 1 else ''}", model.name,
                 low_symbol="app_samples")  # the driver banks BASIC out before anything else
    program, source, bank = best
    if model.output == "argmax" and program.symbols[labels.CLASS] != \
            program.symbols[labels.OUT] + model.n_out:
        raise C64mlError("internal: c64ml_class does not follow c64ml_out")
    return AppBuild(model, source, program, bank, dict(program.symbols),
                    layer_strategies(strategies, len(model.layers)), split_rows=split_rows,
                    samples=k, total=total,
                    record_size=size, labelled=labelled)
