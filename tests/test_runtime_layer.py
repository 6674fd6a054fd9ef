"""runtime6502/layer.s: a descriptor's bytes land in dense.s's and activate.s's parameters in
the documented order, each entry leaves the fields before it alone, step and sign descriptors
stop after ac_kind, and the cycles are the header's."""

from __future__ import annotations

import numpy as np
import pytest
from runtime_harness import build, call

from c64ml.backend6502.codegen import DESCRIPTOR

# The order layer.s's header documents, written out here (not taken from the code).
FIELDS = [("dn_in", 2), ("dn_w", 2), ("dn_c", 2), ("dn_nin", 1), ("dn_mask", 1),
          ("dn_nout", 1), ("ac_out", 2), ("ac_kind", 1), ("ac_lo", 2), ("ac_hi", 2),
          ("ac_m", 2), ("ac_s", 2), ("ac_tab", 2), ("ac_th", 2)]
# Table at $30F8: with X = 24, the reads of fields 0..7 (base $30F8..$30FF) cross a page.
DRIVER = "c64ml_layers = $30F8\ndn_acc0 = $4001\ndn_acc1 = $4101\ndn_acc2 = $4201\n" \
    "dn_ptlo = $4300\ndn_pthi = $4400\n"
M, SYM = build("layer.s", "requant.s", "dense.s", "activate.s", driver=DRIVER)  # layer.s in one page
TABLE = 0x30F8
ENTRIES = {"ly_set": 0, "ly_set_w": 2, "ly_set_act": 8}  # first offset each one copies

def datasheet_cycles(first: int, last: int, requantized: bool) -> int:
    """lda abs,x 4 + sta abs 4 per byte, bne 2 (not taken) or 3 (taken, same page), rts 6."""
    return 8 * (last - first) + (2 if requantized else 3) + 6


def params() -> bytes:
    return b"".join(bytes(M.ram[SYM[name]:SYM[name] + size]) for name, size in FIELDS)


def test_codegen_emits_the_fields_in_layer_s_order():
    assert list(DESCRIPTOR) == FIELDS


@pytest.mark.parametrize("entry", sorted(ENTRIES))
@pytest.mark.parametrize("requantized", [True, False])
@pytest.mark.parametrize("offset", [0, 24])
def test_entries_copy_their_fields_and_nothing_else(entry, requantized, offset):
    rng = np.random.default_rng(offset + len(entry) + requantized)
    desc = bytearray(rng.integers(0, 256, 24).astype(np.uint8))
    desc[11] = 0 if requantized else int(rng.integers(1, 3))  # ac_kind
    M.load(TABLE + offset, bytes(desc))
    before = bytearray(rng.integers(0, 256, 24).astype(np.uint8))
    pos = 0
    for name, size in FIELDS:
        M.ram[SYM[name]:SYM[name] + size] = bytes(before[pos:pos + size])
        pos += size
    r = call(M, SYM, entry, x=offset, y=0x5A)
    first, last = ENTRIES[entry], 24 if requantized else 12
    want = before[:first] + desc[first:last] + before[last:]
    assert params() == bytes(want)
    assert r.x == offset and r.y == 0x5A
    crossings = sum(1 for i in range(first, last) if ((TABLE + i) & 0xFF) + offset > 0xFF)
    assert r.cycles == datasheet_cycles(first, last, requantized) + crossings


def test_header_states_these_cycles():
    from c64ml.backend6502.runtime import parse_header, runtime_source

    text = parse_header(runtime_source("layer.s"), "layer.s").cycles
    for entry, first in ENTRIES.items():
        a, b = datasheet_cycles(first, 24, True), datasheet_cycles(first, 12, False)
        assert f"{entry} {a} (ac_kind 0) or {b}" in " ".join(text.split()), entry
