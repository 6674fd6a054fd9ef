"""Run a compiled inference routine on samples in the emulated C64 (c64ml/machine/c64.py)."""

from __future__ import annotations

import multiprocessing
import os
import signal
from dataclasses import dataclass

import numpy as np

from c64ml.backend6502 import labels
from c64ml.backend6502.compiler import Build
from c64ml.machine.c64 import C64
from c64ml.progress import progress

#: Far more than any model that fits the C64 needs; a runaway stops with a clear error.
MAX_CYCLES_PER_INFERENCE = 20_000_000
#: With ``jobs=None``, runs of at least this many samples use up to two processes.
PARALLEL_MIN_SAMPLES = 128
CHUNK = 32  # samples per task when running in several processes


@dataclass
class HarnessRun:
    outputs: np.ndarray  # (N, output bytes) uint8
    cycles: np.ndarray  # (N,) CPU cycles per inference: the routine and its RTS (not the JSR)
    irq_cycles: int  # simulated KERNAL interrupt cycles, reported separately
    layer_cycles: np.ndarray  # (N, layers): each layer's cycles (accumulate and activate)


def _run_rows(build: Build, q: np.ndarray, irq: bool, system: str,
              rows=None) -> HarnessRun:
    """One fresh machine running the rows of ``q`` in order (``rows`` wraps the iteration)."""
    m = C64(system=system, irq=irq)
    m.load(build.origin, build.program.data)
    entry, inp = build.addr(labels.INFER), build.addr(labels.IN)
    out, n_out = build.addr(labels.OUT), build.model.out_bytes
    n_layers = len(build.model.layers)
    marks = [build.addr(labels.layer(k, "begin")) for k in range(n_layers)]
    marks.append(build.addr(labels.LAYERS_END))
    m.probe(marks)
    outputs = np.zeros((len(q), n_out), dtype=np.uint8)
    cycles = np.zeros(len(q), dtype=np.int64)
    layer_cycles = np.zeros((len(q), n_layers), dtype=np.int64)
    irq_cycles = 0
    for i in (rows if rows is not None else range(len(q))):
        m.ram[inp:inp + q.shape[1]] = q[i].tobytes()
        r = m.call(entry, max_cycles=MAX_CYCLES_PER_INFERENCE)
        outputs[i] = np.frombuffer(bytes(m.ram[out:out + n_out]), dtype=np.uint8)
        cycles[i] = r.cycles
        irq_cycles += r.irq_cycles
        at = dict(r.probes)
        layer_cycles[i] = np.diff([at[a] for a in marks])
    return HarnessRun(outputs, cycles, irq_cycles, layer_cycles)


_job: tuple | None = None  # (build, irq, system) in a worker process


def _init_worker(build: Build, irq: bool, system: str) -> None:
    global _job
    _job = (build, irq, system)
    # Ctrl-C is the parent's to handle (it ends the pool): a worker ignores SIGINT, which
    # the terminal sends to the whole process group, instead of printing a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _run_chunk(q: np.ndarray) -> HarnessRun:
    build, irq, system = _job
    return _run_rows(build, q, irq, system)


def _auto_jobs(n: int) -> int:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(2, cpus or 1) if n >= PARALLEL_MIN_SAMPLES else 1


def run_build(build: Build, q: np.ndarray, irq: bool = True, system: str = "pal",
              label: str = "running on the emulated C64", jobs: int | None = None) -> HarnessRun:
    """Call ``c64ml_infer`` once per row of input bytes ``q``; collect outputs and cycles.

    ``jobs`` processes share the rows (None: two for large runs when two CPUs are free,
    else one). Each process runs its rows on its own fresh machine; outputs and cycles do
    not depend on ``jobs``, only where the simulated interrupts fall, so ``irq_cycles`` may.
    """
    q = np.asarray(q, dtype=np.uint8)
    jobs = _auto_jobs(len(q)) if jobs is None else max(1, int(jobs))
    if jobs == 1 or len(q) <= CHUNK:
        return _run_rows(build, q, irq, system, progress(range(len(q)), label, len(q)))
    chunks = [q[i:i + CHUNK] for i in range(0, len(q), CHUNK)]
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    # SIGINT stays blocked while the workers start, until each has chosen to ignore it.
    masked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) \
        if hasattr(signal, "pthread_sigmask") else None
    try:
        pool = ctx.Pool(jobs, _init_worker, (build, irq, system))
    finally:
        if masked is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, masked)
    with pool:  # on Ctrl-C (or any error) in the parent, __exit__ terminates the workers
        parts = list(progress(pool.imap(_run_chunk, chunks), label, len(chunks)))
    return HarnessRun(np.concatenate([p.outputs for p in parts]),
                      np.concatenate([p.cycles for p in parts]),
                      sum(p.irq_cycles for p in parts),
                      np.concatenate([p.layer_cycles for p in parts]))
