"""The BASIC example in docs/abi.md and README.md must be true for a fresh build of examples/iris/qmodel.json:
the POKE address is the input buffer, SYS the entry, PEEK the class byte, the DATA bytes are
the semantics §1 mapping of the quoted measurements, and the class printed is the reference's."""

from __future__ import annotations

import re

import numpy as np
import pytest
from testpaths import EXAMPLES, ROOT

from c64ml.backend6502.compiler import build_library
from c64ml.exec import reference
from c64ml.machine.c64 import C64
from c64ml.model.qmodel import load_qmodel


@pytest.mark.parametrize("page", ["docs/abi.md", "README.md"])
def test_basic_example_matches_a_fresh_build(page):
    text = (ROOT / page).read_text()
    poke = int(re.search(r"POKE (\d+)\+I,V", text).group(1))
    sys_addr = int(re.search(r"SYS (\d+)\n", text).group(1))
    peek = int(re.search(r'PRINT "CLASS";PEEK\((\d+)\)', text).group(1))
    data = [int(v) for v in re.search(r"DATA ([\d,]+)", text).group(1).split(",")]
    printed = int(re.search(r"It prints `CLASS (\d)`", text).group(1))
    qm = load_qmodel(EXAMPLES / "iris" / "qmodel.json")
    b = build_library(qm)
    abi = b.abi()
    assert (poke, sys_addr, peek) == (abi["input"], abi["entry"], abi["class"])
    assert data == qm.input_bytes(np.array([[6.3, 3.4, 5.6, 2.4]]))[0].tolist()
    m = C64()
    m.load(b.origin, b.program.data)
    m.ram[poke:poke + 4] = bytes(data)
    r = m.call(sys_addr)
    assert m.ram[peek] == r.a == printed == reference.predict(qm, np.array([data]))[0]
    line = f"entry ${abi['entry']:04X} (SYS {abi['entry']}), input ${abi['input']:04X}"
    assert line in text
    assert f"POKE {abi['input']}+I,V" in text
