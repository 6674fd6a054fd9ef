"""The app driver's source, c64ml/backend6502/src/app.s: a header in the runtime schema,
parts that assemble with what the header says app.py supplies, and no zero page."""

from __future__ import annotations

from importlib import resources

from runtime_harness import assemble_runtime, lines_by_part, parts
from test_runtime_headers import IMPORT_ADDRESS, static_zero_page

from c64ml.backend6502.app import driver_parts
from c64ml.backend6502.runtime import DRIVER_FILES, parse_header

TEXT = resources.files("c64ml.backend6502").joinpath("src", "app.s").read_text(encoding="utf-8")
PARTS = ("start", "main", "prediction", "class_name", "class_number", "label", "label_check",
         "scores", "scores_more", "next", "accuracy", "summary", "vice_exit", "end", "data")


def test_header_follows_the_runtime_schema():
    h = parse_header(TEXT, "app.s")
    assert h.zero_page == frozenset() and h.requires == DRIVER_FILES and not h.sq_tables


def test_parts_are_the_ones_app_py_picks_from():
    p = driver_parts()
    assert tuple(p) == ("header", *PARTS)
    assert p["header"] + "".join(f";; part {n}\n{p[n]}" for n in PARTS) == TEXT


def test_every_part_assembles_with_its_imports_and_uses_no_zero_page():
    """All parts at once (each label defined once), print.s and timer.s, the Imports defined
    (the equates, upper case, as small numbers; the labels as addresses)."""
    imports = {sym: 1 if sym.isupper() else IMPORT_ADDRESS
               for sym in parse_header(TEXT, "app.s").imports}
    driver = "\n".join(driver_parts().values())
    prog = assemble_runtime(*DRIVER_FILES, driver=driver, tables=False,
                            defines=imports)
    own = lines_by_part(prog, parts(*DRIVER_FILES, driver=driver, tables=False))["(driver)"]
    assert static_zero_page(own) == set()
    assert not any(ln.opcode and ln.statement.mnemonic == "sei" for ln in own)
