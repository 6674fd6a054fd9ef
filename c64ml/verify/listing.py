"""`c64ml compile --listing`: the program's listing (c64ml/asm/listing.py) with a section per
layer and per runtime routine, and, measured on samples, where the cycles go.

The figures come from one harness run with ``profile=True`` (c64ml/verify/harness.py): the
per-layer cycles are those of ``compile --report``, the total that of ``c64ml verify`` on the
same samples, and each routine's own cycles add up with the generated code's to the total.
"""

from __future__ import annotations

from c64ml.asm.listing import listing
from c64ml.backend6502 import labels
from c64ml.backend6502.compiler import Build
from c64ml.spec import layer_strategies
from c64ml.verify.harness import HarnessRun, call_sites

RULE = "; " + "=" * 86


def _calls(n: float) -> str:
    """A mean call count: 2, 8.16."""
    return f"{n:.2f}".rstrip("0").rstrip(".")


def _pct(part: float, total: float) -> str:
    return f"{100 * part / total:5.1f}%" if total else "     -"


def _layer_names(build: Build) -> list[str]:
    m = build.model
    return [f"layer {k}: {L.n_in} -> {L.n_out}, {L.activation}, {kind} inputs, {st}"
            for k, (L, kind, st) in enumerate(zip(m.layers, m.input_kinds(),
                                                  layer_strategies(build.strategies,
                                                                   len(m.layers))))]


def compile_listing(build: Build, run: HarnessRun | None = None, samples: str = "") -> str:
    """The listing of ``build``; with ``run`` (a profiled run on ``samples``, described in
    words), each section and a summary at the end give measured cycles per inference."""
    m, s = build.model, build.symbols
    b = build.byte_counts()
    head = [f"; c64ml listing: model \"{m.name}\", {m.inputs} inputs, {len(m.layers)} layers, "
            f"{m.macs()} MACs; ${build.origin:04X}-${build.end - 1:04X}, entry "
            f"{labels.INFER} ${s[labels.INFER]:04X}",
            "; bytes: " + ", ".join(f"{k} {v}" for k, v in b.items())]
    n = len(m.layers)
    names = _layer_names(build)
    layer_of = {labels.layer(k, "begin"): k for k in range(n)} | {labels.LAYERS_END: n}
    routines = {name for _, name in call_sites(build).values()}
    N = len(run.cycles) if run is not None else 0
    total = float(run.cycles.mean()) if run is not None else 0.0
    if run is not None:
        head += [f"; measured on {samples} in the emulated C64: mean cycles per inference "
                 f"{total:.1f} (c64ml verify's figure; KERNAL interrupt time not counted)"]
    else:
        head += ["; no --data given: cycles per instruction only, nothing measured"]
    before: dict[int, list[str]] = {}
    for i, ln in enumerate(build.program.lines):
        label = ln.statement.label
        if label in layer_of:
            before[i] = _layer_section(layer_of[label], names, run, total)
        elif label in routines:
            before[i] = _routine_section(label, run.profile if run else None, N, total)
    tail = _summary(build, run, samples, names, total) if run is not None else []
    return listing(build.program.lines, head, before, tail)


def _layer_section(k: int, names: list[str], run: HarnessRun | None, total: float) -> list[str]:
    n = len(names)
    title = names[k] if k < n else "after the layers: the class, then RTS"
    out = ["", RULE]
    if run is None or k == n:
        return out + [f"; {title}", RULE]
    cyc = float(run.layer_cycles[:, k].mean())
    N = len(run.cycles)
    p = run.profile
    calls = [(name, p.layer_calls[kk, name] / N, p.layer_inclusive[kk, name] / N)
             for (kk, name) in p.layer_calls if kk == k]
    own = cyc - sum(c for _, _, c in calls)
    parts = "".join(f"{name} {c:.1f}, " for name, _, c in calls)
    return out + [f"; {title}: {cyc:.1f} cycles per inference ({_pct(cyc, total).strip()})",
                  f";   {parts}its own code {own:.1f} (a routine's figure includes the "
                  "routines it calls)", RULE]


def _routine_section(name: str, p, N: int, total: float) -> list[str]:
    if p is None or not p.calls[name]:
        return ["", f"; ---- {name}" + ("" if p is None else ": not called by c64ml_infer")]
    calls = _calls(p.calls[name] / N)
    per = p.inclusive[name] / p.calls[name] if p.calls[name] else 0.0
    own = p.own[name] / N
    return ["", f"; ---- {name}: {calls} call{'' if calls == '1' else 's'} per inference, "
            f"{per:.1f} cycles per call (with the routines it calls)",
            f";      its own instructions: {own:.1f} cycles per inference, "
            f"{_pct(own, total).strip()} of the total"]


def _summary(build: Build, run: HarnessRun, samples: str, names: list[str],
             total: float) -> list[str]:
    """Two tables: per layer (with the routines each calls), and per routine (own cycles)."""
    N = len(run.cycles)
    p = run.profile
    n = len(names)
    out = ["", RULE, f"; where the cycles go: mean per inference over {samples}", RULE, ";",
           f";   {'part':<52} {'calls':>7} {'cycles':>10} {'share':>6}"]

    def row(part: str, calls: str, cyc: float) -> str:
        return f";   {part:<52} {calls:>7} {cyc:>10.1f} {_pct(cyc, total)}"

    inside = 0.0
    for k in range(n):
        cyc = float(run.layer_cycles[:, k].mean())
        inside += cyc
        out.append(row(names[k], "", cyc))
        called = 0.0
        for (kk, name) in p.layer_calls:
            if kk == k:
                c = p.layer_inclusive[kk, name] / N
                called += c
                out.append(row(f"  {name}", _calls(p.layer_calls[kk, name] / N), c))
        out.append(row("  its own code", "", cyc - called))
    out.append(row("outside the layers (entry, class, RTS)", "", total - inside))
    for (kk, name) in p.layer_calls:
        if kk in (-1, n):
            out.append(row(f"  {name}", _calls(p.layer_calls[kk, name] / N),
                           p.layer_inclusive[kk, name] / N))
    out += [row("total", "", total), ";",
            f";   {'routine: its own instructions (not those it calls)':<52} {'calls':>7} "
            f"{'cycles':>10} {'share':>6}"]
    for name, own in sorted(p.own.items(), key=lambda kv: -kv[1]):
        if name is not None:
            out.append(row(name, _calls(p.calls[name] / N), own / N))
    out += [row("generated code (layers, entry, class)", "", p.own[None] / N),
            row("total", "", sum(p.own.values()) / N)]
    return out
