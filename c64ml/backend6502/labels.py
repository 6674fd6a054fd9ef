"""The label names of a compiled inference program, in one place.

The public ones (docs/abi.md) are what BASIC and assembly callers use; the section markers
give byte counts; the per-layer ones (:func:`layer`) are used by the strategies, the
harness probes and the per-layer report.
"""

from __future__ import annotations

PREFIX = "c64ml_"

# -- the library interface (docs/abi.md) -----------------------------------------
INFER = "c64ml_infer"      # JSR/SYS entry
IN = "c64ml_in"            # input bytes
INPTR = "c64ml_inptr"      # the address layer 0 reads (defaults to IN)
OUT = "c64ml_out"          # output bytes
CLASS = "c64ml_class"      # the class byte of an argmax model

# -- section markers (byte counts, placement) ------------------------------------
TABLES, TABLES_END = "c64ml_tables", "c64ml_tables_end"
ACC, ACC_END = "c64ml_acc", "c64ml_acc_end"
BSS, BSS_END = "c64ml_bss", "c64ml_bss_end"
CODE, CODE_END = "c64ml_code", "c64ml_code_end"
DATA, DATA_END = "c64ml_data", "c64ml_data_end"
BODY = "c64ml_body"                # first code that may lie under BASIC ROM
LAYERS_END = "c64ml_layers_end"    # after the last layer, before the class
LAYERS = "c64ml_layers"            # the layer descriptors (runtime6502/layer.s)
END = "c64ml_end"                  # one past the program's last byte
START = "c64ml_start"              # an app's entry (behind the BASIC stub)

# -- zero page borrowed by unrolled layers (c64ml/backend6502/unrolled.py) ----------
ZP_BASE = "c64ml_zpbase"           # first byte borrowed
ZP_IN = "c64ml_zpin"               # pointer to layer 0's inputs
ZP_SCRATCH = "c64ml_zpt"           # scratch of the specialised unit code


#: The label part of a phase mark (:func:`phase_mark`).
PHASE_PARTS = {"accumulate": "mac", "activate": "act", "overhead": "oh"}


def phase_mark(k: int, phase: str, c: int = 0) -> str:
    """The label where part ``c`` of layer ``k``'s ``phase`` (a spec.Phase) begins; what
    runs from there to the next mark, or to the next layer, is that phase's (the harness
    probes these). A layer's set-up before its first mark is overhead too."""
    return layer(k, f"{PHASE_PARTS[phase]}{c}")


def layer(k: int, part: str) -> str:
    """The label of part ``part`` of layer ``k``: ``begin``, ``w`` (weights), ``c`` (start
    constants), ``m``/``s`` (multipliers/shifts), ``th`` (thresholds), ``t`` (table), ``d``
    (descriptor), …"""
    return f"{PREFIX}l{k}_{part}"
