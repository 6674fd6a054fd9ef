"""The memory planner: programs stay below I/O, BASIC is banked out only when needed (and
restored), and a model that cannot fit is refused with the numbers."""

from __future__ import annotations

import numpy as np
import pytest

from c64ml.backend6502.codegen import data_size
from c64ml.backend6502.compiler import RUNTIME_BYTES, build_library
from c64ml.backend6502.memory_plan import BASIC_ROM, IO_START, UPPER_RAM
from c64ml.errors import C64mlError
from c64ml.exec import reference
from c64ml.model.qmodel import QLayer, QModel
from c64ml.verify.harness import run_build


def dense_model(n_in: int, n_out: int, seed: int = 0) -> QModel:
    rng = np.random.default_rng(seed)
    layer = QLayer(rng.integers(-5, 6, (n_in, n_out)), np.zeros(n_out, dtype=np.int64), "relu",
                   np.full(n_out, 1), np.full(n_out, 6))
    return QModel("plan", np.zeros(n_in), np.ones(n_in), [layer], "scores")


def test_runtime_overhead_is_a_lower_bound():
    m = dense_model(1, 1)
    b = build_library(m, origin=0x1000)
    assert b.byte_counts()["total"] - data_size(m) >= RUNTIME_BYTES


def test_small_model_goes_to_c000_and_keeps_basic():
    b = build_library(dense_model(4, 3))
    assert b.origin == UPPER_RAM and b.end <= IO_START and not b.bank_out_basic
    assert "sta $01" not in b.source


def test_mid_model_sits_below_basic_rom():
    b = build_library(dense_model(64, 32))
    assert b.end <= BASIC_ROM and not b.bank_out_basic


def test_big_model_banks_out_basic_and_restores_it():
    m = dense_model(255, 150)  # 38,250 weight bytes: more than fits below $A000 with the rest
    b = build_library(m)
    assert b.bank_out_basic and BASIC_ROM < b.end <= IO_START
    q = np.zeros((2, 255), dtype=np.uint8)  # zero rows are skipped: a quick run
    q[0, [0, 100, 254]] = [255, 7, 128]
    q[1, 200] = 1
    run = run_build(b, q)
    assert np.array_equal(run.outputs, reference.output_bytes(m, q))
    from c64ml.machine.c64 import C64

    c = C64()
    c.load(b.origin, b.program.data)
    assert c.banking()[0]
    c.call(b.addr("c64ml_infer"))
    assert c.banking() == (True, True, "io") and c.ram[1] == 0x37  # BASIC ROM back in


def test_too_big_is_refused_with_needed_and_available():
    with pytest.raises(C64mlError) as e:
        build_library(dense_model(255, 255))
    msg = e.value.line()
    needed = 255 * 255
    assert "needs" in msg and "free" in msg
    assert int(msg.split("needs ")[1].split()[0]) >= needed


@pytest.mark.parametrize("origin", [0x0700, 0xA000, 0xB000, 0xD000, 0xFFF0])
def test_origins_outside_callable_ram_are_refused(origin):
    with pytest.raises(C64mlError, match="origin"):
        build_library(dense_model(2, 2), origin=origin)


# Bytes borrowed from $02, worked out by hand: a 2-byte input pointer; for a layer whose
# units are specialised and multiply, scratch of 3 bytes plus P. Both layers do (relu,
# M = 1, S = 6: r = floor((acc + 32) / 64) is unclamped for acc in 32 … 16,287, and the
# accumulators reach at most 6 · 5 · 255 = 7,650, so e takes 2 bytes; P keeps the bytes up
# to the result's top bit, bit 13: 2): 5.
# Then 3 accumulator bytes a unit (layer 0: 5 units, layer 1: 3); the largest layer
# decides. Whether $FB is written: only dense.s (a loop layer) writes it.
@pytest.mark.parametrize("strategies, borrowed, fb", [
    (["loop", "loop"], 0, True),
    (["unrolled", "loop"], 2 + 5 + 15, True),
    (["unrolled", "unrolled"], 2 + 5 + 15, False),
    (["unrolled-macs", "loop"], 2 + 15, True),
    (["unrolled-macs", "unrolled"], max(2 + 15, 2 + 5 + 9), False)])
def test_zero_page_counted_is_what_the_program_writes(strategies, borrowed, fb):
    """The planner's zero page (runtime headers plus unrolled borrowing) against every
    zero-page write the CPU makes while the routine runs (the KERNAL IRQ's excluded)."""
    from c64ml.machine.c64 import C64

    rng = np.random.default_rng(1)
    layers = [QLayer(rng.integers(-5, 6, (6, 5)), np.zeros(5, dtype=np.int64), "relu",
                     np.full(5, 1), np.full(5, 6)),
              QLayer(rng.integers(-5, 6, (5, 3)), np.zeros(3, dtype=np.int64), "relu",
                     np.full(3, 1), np.full(3, 6))]
    m = QModel("zp", np.zeros(6), np.ones(6), layers, "scores")
    b = build_library(m, origin=0x1000, strategies=strategies)
    c = C64()
    c.load(b.origin, b.program.data)
    c.ram[b.addr("c64ml_in"):b.addr("c64ml_in") + 6] = bytes([1, 50, 0, 255, 7, 9])
    c.ram[0x02:0x100] = bytes(range(0x02, 0x100))
    writes = c.watch_zero_page()
    assert c.call(b.addr("c64ml_infer")).clean_return
    written = {addr for addr, _ in writes}
    unrolled = range(0x02, 0x02 + borrowed)
    expected = set(unrolled) | ({0xFB} if fb else set())
    assert written == expected
    assert b.zero_page() == set(unrolled) | {0xFB}
    assert b.byte_counts()["zeropage"] == len(b.zero_page())
    assert bytes(c.ram[0x02:0x90]) == bytes(range(0x02, 0x90))  # all restored ($90-$FA: IRQ)
    assert c.ram[0xFB] == 0xFB
