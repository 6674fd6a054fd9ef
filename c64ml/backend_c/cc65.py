"""The cc65 baseline: c64ml's C (c64ml/backend_c/csource.py) compiled by real cc65 for the C64
(docs/c-backend.md); c64ml/verify/cc65_harness.py times the build in the emulated C64.

No C runtime start-up is linked: the image holds ``c64ml_infer`` and the cc65 runtime
routines it calls, placed by ``LINKER_CONFIG`` so that the harness can call it directly.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from c64ml.backend_c.csource import c_source
from c64ml.errors import C64mlError
from c64ml.model.qmodel import QModel
from c64ml.package.prg import make_prg

#: The cc65 optimisation flags of the baseline: -O optimise, -i inline runtime helpers,
#: -r honour ``register``, -s inline known C functions; -Cl: static locals.
CC65_FLAGS = ("-Oirs", "-Cl")
TARGET = "c64"
ORIGIN = 0x1000          # code, constant weights, initialised data: $1000-$9FFF
MAIN_END = 0xA000
BSS = 0xC000             # zeroed statics (hidden-layer buffers, -Cl locals): $C000-$C7FF
BSS_END = 0xC800
IN_BUF = 0xC800          # input bytes (up to 256)
OUT_BUF = 0xC900         # output bytes (up to 256)
STACK_TOP = 0xD000       # the C stack grows down from here ($CA00-$CFFF)
ZP_START, ZP_SIZE = 0x02, 0x1A  # cc65's zero page (sp, sreg, ptr1..4, tmp1..4, regbank)
ENTRY = "_c64ml_infer"
TIMEOUT_S = 120

LINKER_CONFIG = f"""\
# c64ml cc65 baseline: no start-up code; the harness calls _c64ml_infer directly.
MEMORY {{
    ZP:     file = "", define = yes, start = ${ZP_START:04X}, size = ${ZP_SIZE:04X};
    MAIN:   file = %O, define = yes, start = ${ORIGIN:04X}, size = ${MAIN_END - ORIGIN:04X};
    BSSMEM: file = "",               start = ${BSS:04X}, size = ${BSS_END - BSS:04X};
}}
SEGMENTS {{
    ZEROPAGE: load = ZP,     type = zp;
    CODE:     load = MAIN,   type = ro;
    RODATA:   load = MAIN,   type = ro;
    DATA:     load = MAIN,   type = rw;
    BSS:      load = BSSMEM, type = bss, define = yes;
}}
"""


@dataclass
class Cc65Build:
    """A linked cc65 image of a qmodel's C and what is needed to call it."""

    model: QModel
    image: bytes                      # loaded at ORIGIN
    symbols: dict[str, int]           # ld65's VICE labels, without the leading dot
    version: str                      # e.g. "cc65 V2.18 - Debian 2.19-1"
    command: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def origin(self) -> int:
        return ORIGIN

    @property
    def entry(self) -> int:
        return self.symbols[ENTRY]

    @property
    def prg(self) -> bytes:
        return make_prg(ORIGIN, self.image)

    @property
    def bss(self) -> tuple[int, int]:
        return self.symbols["__BSS_RUN__"], self.symbols["__BSS_SIZE__"]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise C64mlError(f"{name} is not installed (Debian package cc65)", field="cc65")
    return path


def _run(cmd: list[str], cwd: str) -> str:
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise C64mlError(f"{Path(cmd[0]).name} took longer than {TIMEOUT_S} s",
                         field="cc65") from None
    if p.returncode != 0:
        text = (p.stderr or p.stdout).strip().splitlines()
        raise C64mlError(f"{Path(cmd[0]).name} failed: {text[-1] if text else p.returncode}",
                         field="cc65")
    return p.stdout + p.stderr


@functools.lru_cache(maxsize=None)
def cc65_version() -> str:
    """The compiler's version line, e.g. ``cc65 V2.18 - Debian 2.19-1``."""
    with tempfile.TemporaryDirectory() as d:
        return _run([_tool("cc65"), "--version"], d).strip().splitlines()[0]


def parse_labels(text: str) -> dict[str, int]:
    """ld65 ``-Ln`` lines ``al 001000 ._name`` → ``{"_name": 0x1000}``."""
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "al" and parts[2].startswith("."):
            out[parts[2][1:]] = int(parts[1], 16)
    return out


def cc65_build(model: QModel) -> Cc65Build:
    """Compile the model's C with ``cl65 -t c64 -Oirs -Cl`` and link it at ORIGIN."""
    cl65 = _tool("cl65")
    sources = c_source(model)
    with tempfile.TemporaryDirectory(prefix="c64ml-cc65-") as d:
        for name, text in sources.items():
            Path(d, name).write_text(text)
        Path(d, "baseline.cfg").write_text(LINKER_CONFIG)
        cmd = [cl65, "-t", TARGET, *CC65_FLAGS, "-C", "baseline.cfg", "-Ln", "labels.txt",
               "-o", "image.bin", "c64ml.c"]
        try:
            _run(cmd, d)
        except C64mlError as e:
            if "overflow" in e.message:
                raise C64mlError(f"the model does not fit the baseline layout "
                                 f"(${ORIGIN:04X}-${MAIN_END - 1:04X} for code and weights, "
                                 f"${BSS:04X}-${BSS_END - 1:04X} for buffers): {e.message}",
                                 field="cc65") from None
            raise
        image = Path(d, "image.bin").read_bytes()
        symbols = parse_labels(Path(d, "labels.txt").read_text())
    for name in (ENTRY, "sp", "__BSS_RUN__", "__BSS_SIZE__"):
        if name not in symbols:
            raise C64mlError(f"ld65 did not report the symbol {name}", field="cc65")
    if symbols["sp"] != ZP_START:
        raise C64mlError(f"cc65's sp is at ${symbols['sp']:02X}, expected ${ZP_START:02X}",
                         field="cc65")
    return Cc65Build(model, image, symbols, cc65_version(),
                     ["cl65", "-t", TARGET, *CC65_FLAGS, "-C", "baseline.cfg", "c64ml.c"],
                     sources)
