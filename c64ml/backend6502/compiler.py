"""The compiler's pipeline: qmodel → assembly (codegen) → placed and checked (memory_plan)
→ assembled program with its ABI addresses and byte counts."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from c64ml.asm.assembler import Program, assemble
from c64ml.backend6502 import labels, split, unit_act, unrolled, wide
from c64ml.backend6502.codegen import (
    data_size,
    has_wide,
    inference_source,
    product_magnitudes,
    zp_borrowed_once,
)
from c64ml.backend6502.memory_plan import (
    BASIC_ROM,
    IO_START,
    LOWEST_ORIGIN,
    default_library_origin,
    regions_for,
    too_big,
    zero_page_used,
)
from c64ml.backend6502.runtime import INFERENCE_FILES, WIDE_FILES
from c64ml.errors import AddressOverflow, C64mlError
from c64ml.model.qmodel import QModel
from c64ml.package.prg import BASIC_START
from c64ml.spec import Strategy, layer_strategies

#: Bytes every inference program needs besides its model data: runtime code, the
#: quarter-square tables and the accumulator buffers (a lower bound; checked in tests).
RUNTIME_BYTES = 3400


@dataclass
class Build:
    """An assembled inference program and everything a caller needs to use it."""

    model: QModel
    source: str
    program: Program
    bank_out_basic: bool
    symbols: dict[str, int] = field(default_factory=dict)
    strategies: list[Strategy] | None = None  # one per layer (None: all loop)
    zp_straight: bool = False  # zero page borrowed once copied lean: straight-line, and the
    #                            accumulators' high bytes outside it (codegen.inference_source)
    split_rows: dict[int, int] | None = None  # rows unrolled per split layer (split.py)
    runtime_files: tuple[str, ...] = INFERENCE_FILES  # the runtime6502 files assembled in

    @property
    def origin(self) -> int:
        return self.program.origin

    @property
    def end(self) -> int:
        return self.symbols[labels.END]

    def addr(self, name: str) -> int:
        return self.symbols[name]

    def zero_page(self) -> frozenset[int]:
        """Every zero-page address the program writes, all saved and restored: what its
        runtime files' headers declare, and what its unrolled layers borrow from $02 with
        interrupts off (docs/abi.md)."""
        strategies = layer_strategies(self.strategies, len(self.model.layers))
        borrowed = max(unit_act.layer_zp_bytes(self.model.layers, k, kind, st, self.zp_straight)
                       for k, (st, kind) in enumerate(zip(strategies, self.model.input_kinds())))
        files = self.runtime_files + (WIDE_FILES if has_wide(self.model, strategies) else ())
        return zero_page_used(files,
                              range(unrolled.ZP_PTR, unrolled.ZP_PTR + borrowed))

    def byte_counts(self) -> dict[str, int]:
        """Bytes of code, tables, data (weights and constants), buffers, zero page touched
        (``zero_page()``), total."""
        s = self.symbols
        code = s[labels.CODE_END] - s[labels.CODE]
        tables = (s[labels.ACC] - s[labels.TABLES]) + (s[labels.TABLES_END]
                                                         - s[labels.ACC_END])
        data = s[labels.DATA_END] - s[labels.DATA]
        buffers = (s[labels.ACC_END] - s[labels.ACC]) + (s[labels.BSS_END] - s[labels.BSS])
        total = s[labels.END] - self.origin
        return {"code": code, "tables": tables, "data": data, "buffers": buffers,
                "padding": total - code - tables - data - buffers,
                "zeropage": len(self.zero_page()), "total": total}

    def abi(self) -> dict[str, int]:
        """The library interface (docs/abi.md)."""
        out = {"entry": self.addr(labels.INFER), "input": self.addr(labels.IN),
               "inptr": self.addr(labels.INPTR), "output": self.addr(labels.OUT),
               "inputs": self.model.inputs, "output_bytes": self.model.out_bytes}
        if self.model.output == "argmax":
            out["class"] = self.addr(labels.CLASS)
        return out


def _assemble(source: str, origin: int, name: str) -> Program:
    return assemble(source, f"{name}.s", origin)


def org_line(origin: int) -> str:
    """The first line of every generated program: its load address, so that the source
    re-assembles to the same bytes (``c64ml asm``, docs/packaging.md)."""
    return f"        .org ${origin:04X}              ; load address"


def place(make_source, origin: int, what: str, name: str, estimate: int = 0,
          low_symbol: str = labels.BODY) -> tuple[Program, str, bool]:
    """Assemble ``make_source(bank_out_basic)`` at ``origin`` in the cheapest region it fits;
    the source returned starts with its ``.org``.

    ``estimate`` (bytes the program needs at least) refuses hopeless cases before assembling.
    When BASIC must be banked out, everything before ``low_symbol`` (the code that runs
    before the banking, and after it is undone) must lie below BASIC ROM.
    """
    if origin + estimate > IO_START:
        raise too_big(estimate, origin, what)
    program = source = None
    for region in regions_for(origin):
        if origin + estimate > region.end and region.end < IO_START:
            continue                            # cannot fit: do not assemble
        source = org_line(origin) + "\n" + make_source(region.bank_out_basic)
        try:
            program = _assemble(source, origin, name)
        except AddressOverflow:
            raise too_big(max(estimate, 0x10000 - origin), origin, what) from None
        if program.symbols[labels.END] <= region.end:
            if region.bank_out_basic and program.symbols[low_symbol] > BASIC_ROM:
                raise C64mlError(f"{what}: its entry code would lie under BASIC ROM; "
                                 "choose a lower origin")
            return program, source, region.bank_out_basic
    raise too_big(program.symbols[labels.END] - origin, origin, what)


def estimate_bytes(model: QModel, strategies: list[Strategy] | None,
                   split_rows: dict[int, int] | None = None) -> int:
    """A lower bound on a build's size: model data, unrolled code, product tables, runtime."""
    strategies = layer_strategies(strategies, len(model.layers))
    size = data_size(model, strategies) + RUNTIME_BYTES
    for k, (layer, st, kind) in enumerate(zip(model.layers, strategies, model.input_kinds())):
        fused = st.specialised and not wide.takes_wide_path(layer, kind, st)
        if st == Strategy.SPLIT and fused:
            size += split.code_bytes(layer, split.rows_of(split_rows, k, layer),
                                     unit_act.acc16(model.layers, k))
        elif st.unrolled:
            acc16 = unit_act.acc16(model.layers, k) if fused else None
            size += unrolled.code_bytes(layer, acc16) - len(layer.weights.ravel()) \
                - 3 * layer.n_out
        if fused:
            size += unit_act.code_bytes(model.layers, k, st == Strategy.UNROLLED_MUL)
    return size + 512 * len(product_magnitudes(model, strategies, split_rows))


def build_library(model: QModel, origin: int | None = None,
                  strategies: list[Strategy] | None = None, budget: int | None = None,
                  split_rows: dict[int, int] | None = None) -> Build:
    """Compile ``model`` into a stand-alone inference routine at ``origin`` (default: planned),
    with one strategy per layer (default: every layer loops); ``split_rows``: rows unrolled
    per ``split`` layer (default: split.default_rows).

    Zero page borrowed once for the whole inference is saved and restored straight-line
    when that still fits (below $D000, and in ``budget`` bytes if given), else by loops."""
    strategies = layer_strategies(strategies, len(model.layers))
    if split_rows is None:
        split_rows = {k: split.default_rows(layer) for k, (layer, st)
                      in enumerate(zip(model.layers, strategies)) if st == Strategy.SPLIT}
    extra = 0
    if zp_borrowed_once(model, strategies) > unrolled.STRAIGHT_COPY:  # worth copying lean:
        extra = unrolled.straight_copy_extra_bytes(  # straight-line, and the high bytes
            zp_borrowed_once(model, strategies, True)) + sum(  # out (a byte a weight more)
            int(np.count_nonzero(layer.weights)) for layer in model.layers)
    if extra:
        try:
            build = _build_library(model, origin, strategies, extra, split_rows)
            if budget is None or build.byte_counts()["total"] <= budget:
                return build
        except C64mlError:  # does not fit, or its entry would lie under BASIC ROM
            pass
    return _build_library(model, origin, strategies, 0, split_rows)


def _build_library(model: QModel, origin: int | None, strategies: list[Strategy],
                   straight_extra: int, split_rows: dict[int, int]) -> Build:
    """build_library's work, the zero page copied straight-line if ``straight_extra`` (the
    bytes that costs) is not 0."""
    straight = straight_extra > 0
    estimate = estimate_bytes(model, strategies, split_rows) + straight_extra

    def source(bank: bool) -> str:
        return inference_source(model, bank, strategies, straight, split_rows)

    if origin is None:
        if estimate > IO_START - BASIC_START:
            raise too_big(estimate, BASIC_START, f"model {model.name!r}")
        placed = place(source, LOWEST_ORIGIN, f"model {model.name!r}", model.name, estimate)
        origin = default_library_origin(placed[0].symbols[labels.END] - LOWEST_ORIGIN)
        if origin == LOWEST_ORIGIN:
            return Build(model, placed[1], placed[0], placed[2], dict(placed[0].symbols),
                         strategies, straight, split_rows)
    if not (BASIC_START <= origin < 0xA000 or 0xC000 <= origin < 0xD000):
        raise C64mlError(f"origin ${origin:04X} is not in RAM that BASIC can call "
                         "($0801-$9FFF or $C000-$CFFF)")
    program, source_text, bank = place(source, origin, f"model {model.name!r}", model.name,
                                       estimate)
    return Build(model, source_text, program, bank, dict(program.symbols), strategies,
                 straight, split_rows)
