"""Run a compiled inference routine on samples in the emulated C64 (c64ml/machine/c64.py):
a library, or the inference routine inside an app (with BASIC banked out where it lies
under BASIC ROM, as the app's driver leaves it)."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import Counter
from dataclasses import dataclass

import numpy as np

from c64ml.backend6502 import labels
from c64ml.backend6502.compiler import Build
from c64ml.backend6502.memory_plan import BASIC_ROM
from c64ml.machine.c64 import C64
from c64ml.progress import progress
from c64ml.spec import Phase

#: Far more than any model that fits the C64 needs; a runaway stops with a clear error.
MAX_CYCLES_PER_INFERENCE = 20_000_000
#: With ``jobs=None``, runs of at least this many samples use up to two processes.
PARALLEL_MIN_SAMPLES = 128
CHUNK = 32  # samples per task when running in several processes


@dataclass
class Profile:
    """Where the cycles of a run went, summed over its inferences (the JSR's 6 cycles count
    for the caller, the RTS for the routine). ``owner`` None is the generated code."""

    calls: Counter  # routine -> calls
    inclusive: Counter  # routine -> cycles from its first instruction to its RTS, callees too
    own: Counter  # routine or None -> cycles of its own instructions; sums to the run's cycles
    layer_calls: Counter  # (layer, routine) -> calls made by the layer's code (not nested)
    layer_inclusive: Counter  # (layer, routine) -> their inclusive cycles

    def __add__(self, other: Profile) -> Profile:
        return Profile(*(getattr(self, f) + getattr(other, f) for f in
                         ("calls", "inclusive", "own", "layer_calls", "layer_inclusive")))


@dataclass
class HarnessRun:
    outputs: np.ndarray  # (N, output bytes) uint8
    cycles: np.ndarray  # (N,) CPU cycles per inference: the routine and its RTS (not the JSR)
    irq_cycles: int  # simulated KERNAL interrupt cycles, reported separately
    layer_cycles: np.ndarray  # (N, layers): each layer's cycles (accumulate and activate)
    profile: Profile | None = None  # with run_build(..., profile=True)
    instructions: int = 0  # 6502 instructions executed (all samples, interrupts included)
    #: (N, layers, 2): each layer's cycles in Phase.ACCUMULATE and Phase.ACTIVATE (the
    #: rest of ``cycles`` is Phase.OVERHEAD)
    phase_cycles: np.ndarray | None = None

    def split(self) -> dict[str, float]:
        """Mean cycles per inference in each phase (spec.Phase)."""
        acc, act = (float(self.phase_cycles[:, :, i].sum(axis=1).mean()) for i in (0, 1))
        return {Phase.ACCUMULATE: acc, Phase.ACTIVATE: act,
                Phase.OVERHEAD: float(self.cycles.mean()) - acc - act}


def call_sites(build: Build) -> dict[int, tuple[int, str]]:
    """Every ``jsr`` to a routine of the program (a label that is not the generated code's
    own, ``c64ml_*``): address -> (return address, routine)."""
    out = {}
    for ln in build.program.lines:
        if ln.opcode is not None and ln.opcode.mnemonic == "jsr" and \
                build.origin <= ln.value < build.program.end:
            arg = ln.statement.args[0]
            name = arg[1] if arg[0] == "sym" else f"${ln.value:04X}"
            if not name.lower().startswith(labels.PREFIX):
                out[ln.address] = (ln.address + 3, name)
    return out


def _profile(hits: list[tuple[int, int]], total: int, sites: dict[int, tuple[int, str]],
             marks: list[int]) -> Profile:
    """One inference's probe hits (address, program cycles) -> its Profile."""
    p = Profile(Counter(), Counter(), Counter(), Counter(), Counter())
    stack: list[tuple[int, str, int]] = []  # (return address, routine, cycles at its entry)
    layer_at = {a: k for k, a in enumerate(marks)}
    layer, last = -1, 0
    for pc, t in hits:
        if stack and stack[-1][0] == pc:  # back from a call: its RTS has run
            ret, name, start = stack.pop()
            p.own[name] += t - last
            p.inclusive[name] += t - start
            if not stack:
                p.layer_inclusive[layer, name] += t - start
            last = t
        if pc in layer_at and not stack:
            layer = layer_at[pc]
        if pc in sites:  # a JSR about to run: its 6 cycles are the caller's
            ret, name = sites[pc]
            p.own[stack[-1][1] if stack else None] += t + 6 - last
            last = t + 6
            p.calls[name] += 1
            if not stack:
                p.layer_calls[layer, name] += 1
            stack.append((ret, name, last))
    assert not stack, "a routine did not return to its caller"
    p.own[None] += total - last
    return p


#: This process's machine with a build loaded: (build, irq, system, profile, engine, machine).
#: Forked workers inherit the parent's, with its translated blocks (see run_build).
_warm: list = []


def _machine(build: Build, irq: bool, system: str, profile: bool, engine: str) -> C64:
    """A machine with ``build`` loaded and probed: this process's warm one for the same job,
    else a fresh one (which becomes the warm one)."""
    job = (build, irq, system, profile, engine)
    if _warm and all(a is b for a, b in zip(_warm[:5], job)):
        return _warm[5]
    m = C64(system=system, irq=irq, engine=engine)
    m.load(build.origin, build.program.data)
    if build.bank_out_basic and build.addr(labels.INFER) >= BASIC_ROM:
        m.load(1, bytes([0x36]))    # an app's routine under BASIC ROM: banked out, as the
    marks = phase_marks(build)      # app's driver does
    sites = call_sites(build) if profile else {}
    m.probe(set(marks) | set(sites) | {ret for ret, _ in sites.values()})
    _warm[:] = [*job, m]
    return m


def phase_marks(build: Build) -> dict[int, tuple[int | None, Phase]]:
    """Probe address -> (layer, phase) from there on: each layer's begin (its set-up is
    overhead), its phase marks (labels.phase_mark) and the end of the layers."""
    marks = layer_marks(build)
    out: dict[int, tuple[int | None, Phase]] = {a: (k, Phase.OVERHEAD)
                                                for k, a in enumerate(marks[:-1])}
    out[marks[-1]] = (None, Phase.OVERHEAD)
    for k in range(len(build.model.layers)):
        for phase in Phase:
            c = 0
            while labels.phase_mark(k, phase, c) in build.symbols:
                out[build.addr(labels.phase_mark(k, phase, c))] = (k, phase)
                c += 1
    return out


def _phase_cycles(hits: list[tuple[int, int]], total: int, marks: dict, n_layers: int
                  ) -> np.ndarray:
    """One inference's probe hits -> (layers, 2) cycles in accumulate and activate."""
    out = np.zeros((n_layers, 2), dtype=np.int64)
    where, last = (None, Phase.OVERHEAD), 0
    for pc, t in hits + [(None, total)]:
        if pc is not None and pc not in marks:
            continue
        k, phase = where
        if phase != Phase.OVERHEAD:
            out[k, 0 if phase == Phase.ACCUMULATE else 1] += t - last
        if pc is not None:
            where, last = marks[pc], t
    return out


def layer_marks(build: Build) -> list[int]:
    """The address where each layer's code begins, and the end of the last."""
    n_layers = len(build.model.layers)
    return [build.addr(labels.layer(k, "begin")) for k in range(n_layers)] + \
        [build.addr(labels.LAYERS_END)]


def _run_rows(build: Build, q: np.ndarray, irq: bool, system: str,
              rows=None, profile: bool = False, engine: str = "fast") -> HarnessRun:
    """The rows of ``q`` in order on this process's machine for the job (``rows`` wraps
    the iteration); each row starts from the memory the previous one left."""
    m = _machine(build, irq, system, profile, engine)
    entry, inp = build.addr(labels.INFER), build.addr(labels.IN)
    out, n_out = build.addr(labels.OUT), build.model.out_bytes
    n_layers = len(build.model.layers)
    marks = layer_marks(build)
    phases = phase_marks(build)
    sites = call_sites(build) if profile else {}
    prof = Profile(Counter(), Counter(), Counter(), Counter(), Counter()) if profile else None
    outputs = np.zeros((len(q), n_out), dtype=np.uint8)
    cycles = np.zeros(len(q), dtype=np.int64)
    layer_cycles = np.zeros((len(q), n_layers), dtype=np.int64)
    phase_cycles = np.zeros((len(q), n_layers, 2), dtype=np.int64)
    irq_cycles = instructions = 0
    for i in (rows if rows is not None else range(len(q))):
        m.ram[inp:inp + q.shape[1]] = q[i].tobytes()
        r = m.call(entry, max_cycles=MAX_CYCLES_PER_INFERENCE)
        outputs[i] = np.frombuffer(bytes(m.ram[out:out + n_out]), dtype=np.uint8)
        cycles[i] = r.cycles
        irq_cycles += r.irq_cycles
        instructions += r.instructions
        at = {a: t for a, t in r.probes if a in marks}
        layer_cycles[i] = np.diff([at[a] for a in marks])
        phase_cycles[i] = _phase_cycles(r.probes, r.cycles, phases, n_layers)
        if prof is not None:
            prof += _profile(r.probes, r.cycles, sites, marks)
    return HarnessRun(outputs, cycles, irq_cycles, layer_cycles, prof, instructions,
                      phase_cycles)


_job: tuple | None = None  # (build, irq, system, profile) in a worker process


def _init_worker(build: Build, irq: bool, system: str, profile: bool, engine: str) -> None:
    global _job
    _job = (build, irq, system, profile, engine)
    # Ctrl-C is the parent's to handle (it ends the pool): a worker ignores SIGINT, which
    # the terminal sends to the whole process group, instead of printing a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _run_chunk(q: np.ndarray) -> HarnessRun:
    build, irq, system, profile, engine = _job
    return _run_rows(build, q, irq, system, profile=profile, engine=engine)


def _auto_jobs(n: int) -> int:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(2, cpus or 1) if n >= PARALLEL_MIN_SAMPLES else 1


def run_build(build: Build, q: np.ndarray, irq: bool = True, system: str = "pal",
              label: str = "running on the emulated C64", jobs: int | None = None,
              profile: bool = False, engine: str = "fast") -> HarnessRun:
    """Call ``c64ml_infer`` once per row of input bytes ``q``; collect outputs and cycles.

    ``jobs`` processes share the rows (None: two for large runs when two CPUs are free,
    else one). One machine runs all rows in order; with several processes the first chunk
    runs here and each worker, forked after it, goes on with a copy of that machine (its
    translated blocks too). Outputs and cycles do not depend on ``jobs``, only where the
    simulated interrupts fall, so ``irq_cycles`` may.
    ``profile`` also probes every JSR and its return address for a :class:`Profile` (the
    cycles stay the same; only this run is slower). ``engine``: the machine's execution
    engine, "fast" or "reference" (identical results).
    """
    q = np.asarray(q, dtype=np.uint8)
    jobs = _auto_jobs(len(q)) if jobs is None else max(1, int(jobs))
    if jobs == 1 or len(q) <= CHUNK:
        _warm.clear()
        try:
            return _run_rows(build, q, irq, system, progress(range(len(q)), label, len(q)),
                             profile, engine=engine)
        finally:
            _warm.clear()
    chunks = [q[i:i + CHUNK] for i in range(0, len(q), CHUNK)]
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    parts = []
    _warm.clear()
    if engine == "fast":
        # the first chunk runs here: the workers, forked after it, inherit this machine
        # with its translated blocks and go on with it
        parts.append(_run_rows(build, chunks.pop(0), irq, system, profile=profile,
                               engine=engine))
    # SIGINT stays blocked while the workers start, until each has chosen to ignore it.
    masked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) \
        if hasattr(signal, "pthread_sigmask") else None
    try:
        pool = ctx.Pool(jobs, _init_worker, (build, irq, system, profile, engine))
    finally:
        if masked is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, masked)
    try:
        with pool:  # on Ctrl-C (or any error) in the parent, __exit__ ends the workers
            parts += progress(pool.imap(_run_chunk, chunks), label, len(chunks))
    finally:
        _warm.clear()
    return HarnessRun(np.concatenate([p.outputs for p in parts]),
                      np.concatenate([p.cycles for p in parts]),
                      sum(p.irq_cycles for p in parts),
                      np.concatenate([p.layer_cycles for p in parts]),
                      sum((p.profile for p in parts[1:]), parts[0].profile) if profile else None,
                      sum(p.instructions for p in parts),
                      np.concatenate([p.phase_cycles for p in parts]))
