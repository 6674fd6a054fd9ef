"""The learning rules of docs/semantics.md §9 as LLVM code (llvmlite), written from the page
independently of ``rules.py``: one native function trains over a whole sample sequence,
logging every step's prediction, whether it changed a weight and (optionally) the weights.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from functools import cache

import numpy as np
from llvmlite import binding as llvm
from llvmlite import ir

from c64ml.exec.jit import init_native
from c64ml.spec import LearnRule

I1, I8, I32, I64 = ir.IntType(1), ir.IntType(8), ir.IntType(32), ir.IntType(64)
I8P, I32P = I8.as_pointer(), I32.as_pointer()
_TRAIN = ctypes.CFUNCTYPE(None, *([ctypes.c_void_p] * 4), ctypes.c_int64, *([ctypes.c_void_p] * 3))


class _Loop:
    """``with _Loop(b, n) as i:`` emits ``for (i = 0; i < n; i++)`` (i64)."""

    def __init__(self, b: ir.IRBuilder, n, name: str = "i") -> None:
        self.b, self.n, self.name = b, n if isinstance(n, ir.Value) else ir.Constant(I64, n), name

    def __enter__(self) -> ir.Value:
        b = self.b
        self.var = _entry_alloca(b, self.name)
        b.store(ir.Constant(I64, 0), self.var)
        self.head = b.append_basic_block(self.name + ".head")
        self.body = b.append_basic_block(self.name + ".body")
        self.end = b.append_basic_block(self.name + ".end")
        b.branch(self.head)
        b.position_at_end(self.head)
        i = b.load(self.var)
        b.cbranch(b.icmp_signed("<", i, self.n), self.body, self.end)
        b.position_at_end(self.body)
        return b.load(self.var)

    def __exit__(self, *exc) -> None:
        b = self.b
        b.store(b.add(b.load(self.var), ir.Constant(I64, 1)), self.var)
        b.branch(self.head)
        b.position_at_end(self.end)


def _entry_alloca(b: ir.IRBuilder, name: str, ty: ir.Type = I64, count: int | None = None):
    """An alloca in the function's entry block, which holds only allocas and ends in a
    branch added last (never inside a loop, where each pass would take more stack)."""
    return ir.IRBuilder(b.function.entry_basic_block).alloca(ty, count, name=name)


def _c(v: int) -> ir.Constant:
    return ir.Constant(I64, v)


def _clamp(b: ir.IRBuilder, v, lo: int, hi: int):
    v = b.select(b.icmp_signed("<", v, _c(lo)), _c(lo), v)
    return b.select(b.icmp_signed(">", v, _c(hi)), _c(hi), v)


def _emit(rows: int, units: int, rule: LearnRule, rate: int) -> ir.Module:
    """train(w, x, y, order, steps, wlog, preds, changed): w int8 rows×units (updated in
    place), x uint8 N×rows, y uint8 N, order int32 steps; wlog (steps×rows×units int8, or
    null), preds and changed uint8 per step are written."""
    mod = ir.Module("c64ml_learn")
    fn = ir.Function(mod, ir.FunctionType(ir.VoidType(), [I8P, I8P, I8P, I32P, I64, I8P, I8P, I8P]),
                     "train")
    w, x, y, order, steps, wlog, preds, chg = fn.args
    entry = fn.append_basic_block("entry")
    start = fn.append_basic_block("start")
    b = ir.IRBuilder(start)
    acc = _entry_alloca(b, "acc", I64, units)
    err = _entry_alloca(b, "err", I64, units)
    best = _entry_alloca(b, "best")
    changed = _entry_alloca(b, "changed", I1)
    size = rows * units
    with _Loop(b, steps, "t") as t:
        s = b.sext(b.load(b.gep(order, [t])), I64)
        xs = b.gep(x, [b.mul(s, _c(rows))])
        label = b.zext(b.load(b.gep(y, [s])), I64)
        # the accumulators
        with _Loop(b, units, "j") as j:
            b.store(_c(0), b.gep(acc, [j]))
            with _Loop(b, rows, "i") as i:
                wv = b.sext(b.load(b.gep(w, [b.add(b.mul(i, _c(units)), j)])), I64)
                xv = b.zext(b.load(b.gep(xs, [i])), I64)
                p = b.gep(acc, [j])
                b.store(b.add(b.load(p), b.mul(wv, xv)), p)
        # the prediction
        if units == 1:
            pred = b.zext(b.icmp_signed(">=", b.load(acc), _c(0)), I64)
        else:
            b.store(_c(0), best)
            with _Loop(b, units, "k") as k:
                cur = b.load(b.gep(acc, [k]))
                top = b.load(b.gep(acc, [b.load(best)]))
                b.store(b.select(b.icmp_signed(">", cur, top), k, b.load(best)), best)
            pred = b.load(best)
        b.store(b.trunc(pred, I8), b.gep(preds, [t]))
        # the errors
        with _Loop(b, units, "e") as j:
            if rule == LearnRule.PERCEPTRON:
                wrong = b.icmp_signed("!=", pred, label)
                if units == 1:
                    sign = b.select(b.icmp_signed("==", label, _c(1)), _c(1), _c(-1))
                    ev = b.select(wrong, sign, _c(0))
                else:
                    ev = b.select(b.icmp_signed("==", j, label), _c(1),
                                  b.select(b.icmp_signed("==", j, pred), _c(-1), _c(0)))
                    ev = b.select(wrong, ev, _c(0))
            else:
                o = _clamp(b, b.ashr(b.load(b.gep(acc, [j])), _c(8)), -128, 127)
                who = label if units > 1 else _c(1)
                mine = j if units > 1 else label
                tv = b.select(b.icmp_signed("==", mine, who), _c(64), _c(-64))
                ev = b.sub(tv, o)
            b.store(ev, b.gep(err, [j]))
        # the update
        b.store(ir.Constant(I1, 0), changed)
        with _Loop(b, rows, "ui") as i:
            xv = b.zext(b.load(b.gep(xs, [i])), I64)
            with _Loop(b, units, "uj") as j:
                ev = b.load(b.gep(err, [j]))
                neg = b.icmp_signed("<", ev, _c(0))
                mag = b.ashr(b.mul(b.select(neg, b.neg(ev), ev), xv), _c(rate))
                pw = b.gep(w, [b.add(b.mul(i, _c(units)), j)])
                old = b.sext(b.load(pw), I64)
                new = _clamp(b, b.add(old, b.select(neg, b.neg(mag), mag)), -128, 127)
                b.store(b.or_(b.load(changed), b.icmp_signed("!=", new, old)), changed)
                b.store(b.trunc(new, I8), pw)
        b.store(b.zext(b.load(changed), I8), b.gep(chg, [t]))
        has_log = b.icmp_unsigned("!=", b.ptrtoint(wlog, I64), _c(0))
        with b.if_then(has_log):
            base = b.gep(wlog, [b.mul(t, _c(size))])
            with _Loop(b, size, "c") as c:
                b.store(b.load(b.gep(w, [c])), b.gep(base, [c]))
    b.ret_void()
    ir.IRBuilder(entry).branch(start)
    return mod


@dataclass
class JitLearner:
    """A compiled trainer for one shape, rule and rate."""

    rows: int
    units: int
    engine: object
    func: object

    def train(self, w: np.ndarray, xa: np.ndarray, y: np.ndarray, order: list[int],
              keep: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """(final weights, predictions, changed flags, per-step weights or None)."""
        w = np.ascontiguousarray(w, np.int8).copy()
        xa = np.ascontiguousarray(xa, np.uint8)
        y8 = np.ascontiguousarray(y, np.uint8)
        o = np.ascontiguousarray(order, np.int32)
        n = len(o)
        preds, chg = np.zeros(n, np.uint8), np.zeros(n, np.uint8)
        log = np.zeros((n, self.rows, self.units), np.int8) if keep else None
        self.func(w.ctypes.data, xa.ctypes.data, y8.ctypes.data, o.ctypes.data, n,
                  log.ctypes.data if keep else None, preds.ctypes.data, chg.ctypes.data)
        return w, preds.astype(np.int64), chg.astype(bool), log


@cache
def compile_learner(rows: int, units: int, rule: LearnRule, rate: int) -> JitLearner:
    """Compile (and cache) the trainer for this shape, rule and rate."""
    init_native()
    target = llvm.Target.from_default_triple().create_target_machine(opt=2)
    mod = llvm.parse_assembly(str(_emit(rows, units, LearnRule(rule), rate)))
    mod.verify()
    engine = llvm.create_mcjit_compiler(mod, target)
    engine.finalize_object()
    func = _TRAIN(engine.get_function_address("train"))
    return JitLearner(rows, units, engine, func)
