"""The fast engine (c64ml/machine/fast.py) against the reference core (py65, cpu.py): the
same cycles, instruction counts, registers, memory, results and errors, on every opcode case
of test_cpu_cycles.py, on random instruction streams (self-modifying, banking, I/O, the
KERNAL interrupt and a RAM interrupt handler) and on compiled models (test_compiler_fuzz.py
runs every fuzzed model on both engines through ``run_build``)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_cpu_cycles import CASES, LOAD

from c64ml.asm.opcodes import OPCODES
from c64ml.errors import C64mlError
from c64ml.machine import C64
from c64ml.machine.fast import FastEngine

CODE = 0xC000             # random programs
DATA = 0xC200
COUNTER = 0xC3FF
COUNT = {"streams": 0}


def run(engine: str, image: dict[int, bytes], start: int, hot: int | None = None,
        max_cycles: int = 60_000, irq: bool = True, probes=()):
    """Everything a run leaves behind, errors included."""
    m = C64(engine=engine, irq=irq)
    if hot is not None:
        m._engine.hot = hot
    for addr, data in image.items():
        m.load(addr, data)
    if probes:
        m.probe(probes)
    try:
        r = m.call(start, max_cycles=max_cycles)
        outcome = ("ok", r)
    except C64mlError as e:
        outcome = (type(e).__name__, str(e))
    cpu = m.cpu
    return (outcome, bytes(m.ram), bytes(m.vic), bytes(m.colour), cpu.a, cpu.x, cpu.y, cpu.p,
            cpu.sp, cpu.pc, cpu.processorCycles, cpu.instructions, m._irq_count,
            m.cia1.flags, m.banking())


def same(image, start, **kw):
    ref = run("reference", image, start, **kw)
    for hot in (1, 1000):                 # translated blocks at once, or generic code only
        got = run("fast", image, start, hot=hot, **kw)
        for i, (a, b) in enumerate(zip(ref, got)):
            assert a == b, f"hot={hot}, field {i}: reference {a!r:.300} != fast {b!r:.300}"
    return ref


@pytest.mark.parametrize("name, code, expected, image, at", CASES, ids=[c[0] for c in CASES])
def test_every_opcode_case(name, code, expected, image, at):
    same({LOAD: image}, LOAD)


def test_the_default_engine_is_fast():
    assert isinstance(C64()._engine, FastEngine)
    assert C64(engine="reference")._engine is None
    with pytest.raises(C64mlError):
        C64(engine="turbo")


# --- random instruction streams -------------------------------------------------------
ZP = [0x02, 0x03, 0x10, 0x11, 0x20, 0x21, 0x80, 0xF0, 0xF2, 0xF4, 0xF6, 0xFF]
ABS = [DATA, DATA + 0x7F, DATA + 0xF8, CODE + 0x30, CODE + 0x41, CODE + 0x42, 0x01FF,
       0xD020, 0xD021, 0xD012, 0xDC04, 0xDC05, 0xDC0D, 0xDC0E, 0xD800, 0xC3FE]
LEGAL = sorted(c for c, o in OPCODES.items()
               if o.mnemonic not in ("brk", "rti", "jsr", "jmp", "rts"))


@st.composite
def streams(draw):
    """A loop of random instructions over RAM, I/O and their own code."""
    body = bytearray()
    n = draw(st.integers(3, 40))
    for _ in range(n):
        code = draw(st.sampled_from(LEGAL))
        op = OPCODES[code]
        if op.mode in ("imm",):
            arg = [draw(st.integers(0, 255))]
        elif op.mode in ("zp", "zpx", "zpy", "izx", "izy"):
            arg = [draw(st.sampled_from(ZP + [0x00, 0x01] if draw(st.integers(0, 30)) == 0
                                        else ZP))]
        elif op.mode == "rel":
            arg = [draw(st.integers(-len(body) - 2, 12)) & 0xFF]
        elif op.mode in ("abs", "abx", "aby"):
            a = draw(st.sampled_from(ABS))
            arg = [a & 0xFF, a >> 8]
        else:
            arg = []
        body += bytes([code] + arg)
    loops = draw(st.integers(5, 80))
    # preamble: pointers for (zp),y and (zp,x), a loop counter; then the body; then exit
    pre = bytearray()
    for zp, ptr in ((0xF0, DATA), (0xF2, CODE + 0x40), (0xF4, 0xD020), (0xF6, 0xDC04),
                    (0x20, DATA + 0xF0), (0x10, 0x0100)):
        pre += bytes([0xA9, ptr & 0xFF, 0x85, zp, 0xA9, ptr >> 8, 0x85, zp + 1])
    pre += bytes([0xA9, loops, 0x8D, COUNTER & 0xFF, COUNTER >> 8])
    if draw(st.booleans()):                 # KERNAL out: IRQs through $FFFE to a RAM handler
        handler = CODE + 0x1E0
        pre += bytes([0xA9, handler & 0xFF, 0x8D, 0xFE, 0xFF, 0xA9, handler >> 8, 0x8D, 0xFF,
                      0xFF, 0xA9, 0x35, 0x85, 0x01, 0x58])
    else:
        handler = None
    start = CODE + len(pre)
    tail = bytes([0xCE, COUNTER & 0xFF, COUNTER >> 8,            # DEC counter
                  0xF0, 0x03,                                     # BEQ exit
                  0x4C, start & 0xFF, start >> 8,                 # JMP body
                  0x8D, 0xFF, 0xD7])                              # exit: STA $D7FF
    program = bytes(pre) + bytes(body) + tail
    image = {CODE: program, DATA: bytes(draw(st.lists(st.integers(0, 255), min_size=256,
                                                      max_size=256)))}
    if handler is not None:   # PHA ; LDA $DC0D (acknowledge) ; PLA ; RTI
        image[handler] = bytes([0x48, 0xAD, 0x0D, 0xDC, 0x68, 0x40])
    return image


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams())
def test_random_streams(image):
    same(image, CODE)
    COUNT["streams"] += 1


def test_enough_streams_ran():
    assert COUNT["streams"] >= 150


def test_self_modifying_loop_and_probes():
    """A loop that patches its own operands and opcodes, with probes inside it, the KERNAL
    interrupt landing mid-loop, and a patched JMP target."""
    src = bytes([
        0xA2, 0x00,             # C000 LDX #0
        0x8A,                   # C002 TXA
        0x8D, 0x0B, 0xC0,       # C003 STA C00A+1   (patch LDA # operand)
        0xE8,                   # C006 INX
        0x8E, 0x10, 0xC0,       # C007 STX C00F+1   (patch ADC # operand)
        0xA9, 0x00,             # C00A LDA #..
        0x18,                   # C00C CLC
        0x9D, 0x00, 0xC2,       # C00D STA C200,X
        0x69, 0x00,             # C010 ADC #..      (patched above at C00F+1? see below)
        0x9D, 0x00, 0xC3,       # C012 STA C300,X
        0xE0, 0xF0,             # C015 CPX #$F0
        0xD0, 0xE9,             # C017 BNE C002
        0xA9, 0xEA,             # C019 LDA #$EA (NOP)
        0x8D, 0x0C, 0xC0,       # C01B STA C00C (CLC -> NOP)
        0xCE, 0x00, 0xC1,       # C01E DEC C100
        0xD0, 0xDD,             # C021 BNE C000
        0x60,                   # C023 RTS
    ])
    same({0xC000: src, 0xC100: bytes([40])}, 0xC000, max_cycles=2_000_000,
         probes=(0xC00A, 0xC019))
