"""The emulated C64, for testing 6502 programs (docs/harness.md).

This is the stable public API; everything else in ``c64ml.machine`` is internal::

    from c64ml.machine import C64, assemble_prg

    m = C64()                                   # PAL, KERNAL interrupt on
    r = m.run_prg(assemble_prg(source), keys="42\\n", max_cycles=1_000_000)
    r.reason, r.cycles                          # "return"/"exit"/"idle", program cycles
    m.screen_text(), m.read(0xC000, 4)          # the screen and memory afterwards

* ``C64``: ``load``, ``load_prg``, ``keys``, ``call``, ``run_prg``, ``run_program``,
  ``probe``, ``on_chrout``, ``read``, ``ram``, ``screen_text``, ``screen_codes``,
  ``colour_ram``, ``border``, ``background``;
* ``RunResult``: how a run ended and its cycles; ``timing(cycles)``: PAL/NTSC time;
  ``SYSTEMS``/``System``: the clock figures;
* ``assemble_prg`` (c64ml assembly → PRG), ``load_program`` (a .prg or .d64 file → PRG),
  ``trim_screen`` (screen rows without trailing blanks);
* errors, all ``C64mlError``: ``C64Error`` and its ``CycleBudgetExceeded``,
  ``TimeLimitExceeded``, ``IllegalOpcode``, ``BadAccess`` (an error raised by a run
  carries the run so far as ``.result``, a ``RunResult``).
"""

from c64ml.machine.c64 import (
           C64,
           SYSTEMS,
           Engine,
           RunResult,
           System,
           TimeLimitExceeded,
           timing,
)
from c64ml.machine.cpu import BadAccess, C64Error, CycleBudgetExceeded, IllegalOpcode
from c64ml.machine.programs import assemble_prg, load_program
from c64ml.machine.screen import trim_screen

__all__ = ["C64", "Engine", "RunResult", "System", "SYSTEMS", "timing",
           "assemble_prg", "load_program", "trim_screen",
           "C64Error", "CycleBudgetExceeded", "TimeLimitExceeded", "IllegalOpcode",
           "BadAccess"]
