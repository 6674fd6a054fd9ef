"""An LLVM JIT executor of a qmodel, written from docs/semantics.md independently of reference.py.

Each model becomes two native functions (see docs/jit.md):

``run(i8* in, i8* out, i8* cls, i64 n)``
    runs ``n`` samples of input bytes and writes the output bytes of §7 and the class of §6;
``map(double* x, i8* q, i64 n)``
    maps raw values to input bytes exactly as §1 says.

Several models can share one LLVM module and execution engine (``compile_qmodels``), which
keeps the fixed cost of code generation low when many models are compiled at once.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

import numpy as np
from llvmlite import binding as llvm
from llvmlite import ir

from c64ml.errors import C64mlError
from c64ml.model.qmodel import QLayer, QModel, validate_qmodel
from c64ml.spec import REQUANTIZED, Requant

I1, I8, I32, I64, F64 = ir.IntType(1), ir.IntType(8), ir.IntType(32), ir.IntType(64), ir.DoubleType()
I8P, F64P = I8.as_pointer(), F64.as_pointer()

_RUN_TYPE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)
_MAP_TYPE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)

_native_ready = False


def init_native() -> None:
    """Initialise LLVM's native target once (llvmlite ≥ 0.45 initialises the core itself)."""
    global _native_ready
    if not _native_ready:
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        _native_ready = True


# -- IR helpers ---------------------------------------------------------------------------------

def _const_array(module: ir.Module, name: str, ty: ir.IntType, values) -> ir.GlobalVariable:
    """A private constant global array of ``ty`` holding ``values`` (taken mod 2^width)."""
    mask = (1 << ty.width) - 1
    arr_ty = ir.ArrayType(ty, len(values))
    g = ir.GlobalVariable(module, arr_ty, name)
    g.linkage = "private"
    g.global_constant = True
    if ty.width == 8:  # a byte string literal: far quicker to build and print than N constants
        g.initializer = ir.Constant(arr_ty, bytearray(int(v) & mask for v in values))
    else:
        g.initializer = ir.Constant(arr_ty, [int(v) & mask for v in values])
    return g


def _load_at(b: ir.IRBuilder, base, index, name: str = ""):
    """Load element ``index`` (an i32 or i64 value) of a global array or a plain pointer."""
    idx = b.zext(index, I64) if index.type == I32 else index
    if isinstance(base.type.pointee, ir.ArrayType):
        ptr = b.gep(base, [ir.Constant(I64, 0), idx], inbounds=True)
    else:
        ptr = b.gep(base, [idx], inbounds=True)
    return b.load(ptr, name=name)


def _store_at(b: ir.IRBuilder, value, base, index) -> None:
    idx = b.zext(index, I64) if index.type == I32 else index
    if isinstance(base.type.pointee, ir.ArrayType):
        ptr = b.gep(base, [ir.Constant(I64, 0), idx], inbounds=True)
    else:
        ptr = b.gep(base, [idx], inbounds=True)
    b.store(value, ptr)


def _slot(b: ir.IRBuilder, ty, name: str):
    """A stack slot allocated in the entry block (so it is not re-allocated per iteration and
    mem2reg turns it into SSA registers)."""
    with b.goto_entry_block():
        return b.alloca(ty, name=name)


def _for(b: ir.IRBuilder, count, body, name: str) -> None:
    """Emit ``for (i = 0; i < count; i++) body(i)`` with a stack counter (mem2reg promotes it)."""
    ty = count.type
    ctr = _slot(b, ty, name + ".i")
    b.store(ir.Constant(ty, 0), ctr)
    cond = b.append_basic_block(name + ".cond")
    loop = b.append_basic_block(name + ".body")
    done = b.append_basic_block(name + ".end")
    b.branch(cond)
    b.position_at_end(cond)
    i = b.load(ctr)
    b.cbranch(b.icmp_signed("<", i, count), loop, done)
    b.position_at_end(loop)
    body(i)
    b.store(b.add(b.load(ctr), ir.Constant(ty, 1)), ctr)
    b.branch(cond)
    b.position_at_end(done)


def _clamp(b: ir.IRBuilder, v, lo: int, hi: int):
    """clamp(v, lo, hi) with two signed compares and selects, in v's integer type."""
    lo_c, hi_c = ir.Constant(v.type, lo), ir.Constant(v.type, hi)
    v = b.select(b.icmp_signed("<", v, lo_c), lo_c, v)
    return b.select(b.icmp_signed(">", v, hi_c), hi_c, v)


def _c64ml_requant(b: ir.IRBuilder, acc, m, s):
    """§4.1 in i64: ashr(acc·M + R, S) with R = 2^(S−1), or 0 for S = 0."""
    s = b.sext(s, I64)
    half = b.lshr(b.shl(ir.Constant(I64, 1), s), ir.Constant(I64, 1))
    return b.ashr(b.add(b.mul(b.sext(acc, I64), b.sext(m, I64)), half), s, name="r")


def _tflite_requant(b: ir.IRBuilder, acc, m, n):
    """§4.2 in i64, as TFLite Micro's MultiplyByQuantizedMultiplier: shift left, doubling high
    multiply (nudge, then a signed division by 2^31 toward zero), rounding right shift."""
    zero, one = ir.Constant(I64, 0), ir.Constant(I64, 1)
    n = b.sext(n, I64)
    left = b.select(b.icmp_signed(">", n, zero), n, zero)
    right = b.select(b.icmp_signed("<", n, zero), b.neg(n), zero)
    ab = b.mul(b.shl(b.sext(acc, I64), left), b.sext(m, I64))
    nudge = b.select(b.icmp_signed(">=", ab, zero), ir.Constant(I64, 1 << 30),
                     ir.Constant(I64, 1 - (1 << 30)))
    h = b.sdiv(b.add(ab, nudge), ir.Constant(I64, 1 << 31))
    mask = b.sub(b.shl(one, right), one)
    threshold = b.add(b.ashr(mask, one), b.zext(b.icmp_signed("<", h, zero), I64))
    up = b.zext(b.icmp_signed(">", b.and_(h, mask), threshold), I64)
    return b.add(b.ashr(h, right), up, name="r")


# -- one layer ----------------------------------------------------------------------------------

def _emit_layer(b: ir.IRBuilder, module: ir.Module, prefix: str, layer: QLayer, in_kind: str,
                src, dst, acc_out) -> None:
    """§3–§5 for every unit: i8 inputs extended by kind, i32 accumulator, i8 outputs in ``dst``."""
    n_in, n_out = layer.n_in, layer.n_out
    # weights laid out [unit][input] so that the inner loop walks them contiguously
    w = _const_array(module, prefix + ".w", I8, layer.weights.T.reshape(-1))
    bias = _const_array(module, prefix + ".b", I32, layer.bias)
    act = layer.activation
    if act in REQUANTIZED:
        mult = _const_array(module, prefix + ".m", I32, layer.multiplier)
        shift = _const_array(module, prefix + ".s", I32, layer.shift)
    if layer.table is not None:  # sigmoid, tanh, or a TFLite LOGISTIC
        table = _const_array(module, prefix + ".t", I8, layer.table)
    extend = b.zext if in_kind == "u8" else b.sext
    acc_slot = _slot(b, I32, prefix + ".acc")

    def unit(j):
        b.store(_load_at(b, bias, j), acc_slot)
        row = b.mul(j, ir.Constant(I32, n_in))

        def mac(i):
            x = extend(_load_at(b, src, i), I32)
            wt = b.sext(_load_at(b, w, b.add(row, i)), I32)
            b.store(b.add(b.load(acc_slot), b.mul(wt, x)), acc_slot)

        _for(b, ir.Constant(I32, n_in), mac, prefix + ".in")
        acc = b.load(acc_slot, name="acc")
        nonneg = b.icmp_signed(">=", acc, ir.Constant(I32, 0))
        if act == "step":
            y = b.zext(nonneg, I32)
        elif act == "sign":
            y = b.select(nonneg, ir.Constant(I32, 1), ir.Constant(I32, -1))
        else:
            m, s = _load_at(b, mult, j), _load_at(b, shift, j)
            if layer.requant == Requant.TFLITE:
                r = b.add(_tflite_requant(b, acc, m, s), ir.Constant(I64, layer.zero_point))
            else:
                r = _c64ml_requant(b, acc, m, s)
            y = b.trunc(_clamp(b, r, *layer.out_range), I32)
            if layer.table is not None:
                y = _load_at(b, table, b.add(y, ir.Constant(I32, 128)))
        _store_at(b, y if y.type == I8 else b.trunc(y, I8), dst, j)  # y mod 256
        if acc_out is not None:
            _store_at(b, acc, acc_out, j)

    _for(b, ir.Constant(I32, n_out), unit, prefix + ".unit")


def _emit_class(b: ir.IRBuilder, layer: QLayer, y_ptr, last_acc):
    """§6 as an i8: acc[0] ≥ 0 for one unit, else the first index of the largest y (by kind)."""
    if layer.n_out == 1:
        acc0 = _load_at(b, last_acc, ir.Constant(I32, 0))
        return b.zext(b.icmp_signed(">=", acc0, ir.Constant(I32, 0)), I8)
    greater = b.icmp_signed if layer.out_kind == "s8" else b.icmp_unsigned
    best = _slot(b, I8, "best")
    best_j = _slot(b, I32, "best.j")
    b.store(_load_at(b, y_ptr, ir.Constant(I32, 0)), best)
    b.store(ir.Constant(I32, 0), best_j)

    def unit(j):
        j = b.add(j, ir.Constant(I32, 1))
        v = _load_at(b, y_ptr, j)
        better = greater(">", v, b.load(best))  # strict: ties keep the lower index
        b.store(b.select(better, v, b.load(best)), best)
        b.store(b.select(better, j, b.load(best_j)), best_j)

    _for(b, ir.Constant(I32, layer.n_out - 1), unit, "argmax")
    return b.trunc(b.load(best_j), I8)  # n_out <= 256, so the index fits a byte


# -- whole model --------------------------------------------------------------------------------

def _emit_run(module: ir.Module, prefix: str, model: QModel) -> None:
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [I8P, I8P, I8P, I64]), prefix + ".run")
    p_in, p_out, p_cls, n = fn.args
    for a in fn.args[:3]:
        a.add_attribute("noalias")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    bufs = [b.alloca(ir.ArrayType(I8, layer.n_out), name=f"y{k}") for k, layer in enumerate(model.layers[:-1])]
    last = model.layers[-1]
    last_acc = b.alloca(ir.ArrayType(I32, last.n_out), name="acc.last")
    kinds = model.input_kinds()
    out_stride = ir.Constant(I64, model.out_bytes)

    def sample(s):
        src = b.gep(p_in, [b.mul(s, ir.Constant(I64, model.inputs))], inbounds=True)
        row = b.gep(p_out, [b.mul(s, out_stride)], inbounds=True)
        for k, layer in enumerate(model.layers):
            is_last = k == len(model.layers) - 1
            dst = row if is_last else b.gep(bufs[k], [ir.Constant(I64, 0), ir.Constant(I64, 0)])
            _emit_layer(b, module, f"{prefix}.L{k}", layer, kinds[k], src, dst,
                        last_acc if is_last else None)
            src = dst
        cls = _emit_class(b, last, row, last_acc)
        _store_at(b, cls, p_cls, s)
        if model.output == "argmax":
            _store_at(b, cls, row, ir.Constant(I32, last.n_out))

    _for(b, n, sample, "sample")
    b.ret_void()


def _emit_map(module: ir.Module, prefix: str, model: QModel) -> None:
    """§1 in binary64: d = x − lo, t = d·255, w = hi − lo, u = t / w, v = u + 0.5, floor, clamp."""
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [F64P, I8P, I64]), prefix + ".map")
    p_x, p_q, n = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    floor = module.declare_intrinsic("llvm.floor", [F64])
    arr = ir.ArrayType(F64, model.inputs)
    lo = ir.GlobalVariable(module, arr, prefix + ".lo")
    hi = ir.GlobalVariable(module, arr, prefix + ".hi")
    for g, vals in ((lo, model.input_lo), (hi, model.input_hi)):
        g.linkage, g.global_constant = "private", True
        g.initializer = ir.Constant(arr, [float(v) for v in vals])
    zero, top = ir.Constant(F64, 0.0), ir.Constant(F64, 255.0)
    if model.input_quant is not None:
        _emit_map_tflite(b, module, model.input_quant, p_x, p_q, n, model.inputs)
        return

    def element(e):
        i = b.srem(e, ir.Constant(I64, model.inputs))
        lo_i, hi_i = _load_at(b, lo, i), _load_at(b, hi, i)
        d = b.fsub(_load_at(b, p_x, e), lo_i)
        t = b.fmul(d, top)
        w = b.fsub(hi_i, lo_i)
        u = b.fdiv(t, w)
        v = b.fadd(u, ir.Constant(F64, 0.5))
        f = b.call(floor, [v])
        f = b.select(b.fcmp_ordered("<", f, zero), zero, f)
        f = b.select(b.fcmp_ordered(">", f, top), top, f)
        _store_at(b, b.fptoui(f, I8), p_q, e)

    _for(b, b.mul(n, ir.Constant(I64, model.inputs)), element, "elem")
    b.ret_void()


def _emit_map_tflite(b: ir.IRBuilder, module: ir.Module, input_quant: tuple[float, int],
                     p_x, p_q, n, inputs: int) -> None:
    """§1.2: fptrunc to float, fdiv by the scale, llvm.round (halves away from zero), add the
    zero point, clamp to −128 … 127, add 128."""
    f32 = ir.FloatType()
    rnd = module.declare_intrinsic("llvm.round", [f32])
    scale, zp = input_quant

    def element(e):
        v = b.fdiv(b.fptrunc(_load_at(b, p_x, e), f32), ir.Constant(f32, scale))
        r = b.fadd(b.fpext(b.call(rnd, [v]), F64), ir.Constant(F64, float(zp)))
        r = b.select(b.fcmp_ordered("<", r, ir.Constant(F64, -128.0)), ir.Constant(F64, -128.0), r)
        r = b.select(b.fcmp_ordered(">", r, ir.Constant(F64, 127.0)), ir.Constant(F64, 127.0), r)
        _store_at(b, b.fptoui(b.fadd(r, ir.Constant(F64, 128.0)), I8), p_q, e)

    _for(b, b.mul(n, ir.Constant(I64, inputs)), element, "elem")
    b.ret_void()


def _module_ir(models: list[QModel]) -> ir.Module:
    module = ir.Module(name="c64ml")
    module.triple = llvm.get_process_triple()
    for idx, model in enumerate(models):
        _emit_run(module, f"m{idx}", model)
        _emit_map(module, f"m{idx}", model)
    return module


def llvm_ir(model: QModel) -> str:
    """The LLVM IR of one model (before optimisation), as text."""
    validate_qmodel(model)
    return str(_module_ir([model]))


# -- compiling and calling ----------------------------------------------------------------------

@dataclass(eq=False)
class JitModel:
    """A qmodel compiled to native code; holds its execution engine alive."""

    model: QModel
    _engine: object
    _run: object
    _map: object

    def _execute(self, q) -> tuple[np.ndarray, np.ndarray]:
        a = self.model.checked_input_bytes(q)
        n = a.shape[0]
        out = np.zeros((n, self.model.out_bytes), dtype=np.uint8)
        cls = np.zeros(n, dtype=np.uint8)
        if n:
            self._run(a.ctypes.data, out.ctypes.data, cls.ctypes.data, n)
        return out, cls

    def output_bytes(self, q: np.ndarray) -> np.ndarray:
        """§7: (N, out_bytes) uint8 for input bytes ``q`` of shape (N, inputs)."""
        return self._execute(q)[0]

    def predict(self, q: np.ndarray) -> np.ndarray:
        """§6 class index per sample (also for a "scores" model), as int64."""
        return self._execute(q)[1].astype(np.int64)

    def input_bytes(self, x: np.ndarray) -> np.ndarray:
        """§1: raw values (N, inputs) of finite doubles to input bytes (N, inputs) uint8."""
        a = np.asarray(x, dtype=np.float64)
        if a.ndim != 2 or a.shape[1] != self.model.inputs:
            raise C64mlError(f"expected raw inputs of shape (N, {self.model.inputs}), "
                             f"got {a.shape}", field="input")
        if not np.all(np.isfinite(a)):
            raise C64mlError("raw inputs must be finite numbers", field="input")
        a = np.ascontiguousarray(a)
        q = np.zeros(a.shape, dtype=np.uint8)
        if a.shape[0]:
            self._map(a.ctypes.data, q.ctypes.data, a.shape[0])
        return q


def compile_qmodels(models: list[QModel], opt: int = 2) -> list[JitModel]:
    """Compile several models into one module and execution engine (cheaper than one each)."""
    for model in models:
        validate_qmodel(model)
    init_native()
    mod = llvm.parse_assembly(str(_module_ir(models)))
    mod.verify()
    tm = llvm.Target.from_default_triple().create_target_machine(opt=opt, jit=True)
    if opt:
        pto = llvm.create_pipeline_tuning_options(speed_level=opt)
        # Full unrolling of the constant-trip MAC loops costs ~40 % more compile time for
        # little speed once the loops are vectorised (measured: docs/jit.md).
        pto.loop_unrolling = False
        pb = llvm.create_pass_builder(tm, pto)
        pb.getModulePassManager().run(mod, pb)
    engine = llvm.create_mcjit_compiler(mod, tm)
    engine.finalize_object()
    jits = []
    for idx, model in enumerate(models):
        run = _RUN_TYPE(engine.get_function_address(f"m{idx}.run"))
        fmap = _MAP_TYPE(engine.get_function_address(f"m{idx}.map"))
        jits.append(JitModel(model, engine, run, fmap))
    return jits


def compile_qmodel(model: QModel, opt: int = 2) -> JitModel:
    """Compile one qmodel to native code with LLVM's MCJIT."""
    return compile_qmodels([model], opt)[0]
