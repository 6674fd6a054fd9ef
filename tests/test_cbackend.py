"""The C backend: the generated C, compiled by the host compiler in strict C89 with the
undefined-behaviour sanitizer, is bit-exact with the NumPy reference on the iris example,
on hand-made edge models and on random qmodels; its requantization matches §4 for every
shift; prefixes, file names and the CLI's ``compile --format c``."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qmodel_strategies import models_with_inputs
from testpaths import EXAMPLES, need_tool

from c64ml.backend_c.csource import REQUANT_C, acc_types, c_source
from c64ml.cli import main
from c64ml.errors import C64mlError
from c64ml.exec.reference import output_bytes
from c64ml.model.dataset import load_dataset
from c64ml.model.qmodel import QLayer, QModel, load_qmodel

IRIS = EXAMPLES / "iris"
STRICT = ["-std=c89", "-pedantic", "-Wall", "-Wextra", "-Werror", "-O1",
          "-fsanitize=undefined", "-fno-sanitize-recover=all"]
SENTINEL = 0xA5


def driver(counts: list[tuple[str, int]]) -> str:
    """A main() that, per model, reads its input rows from stdin and writes each row's output
    bytes plus the returned byte; it exits 3 if a model writes past its output bytes."""
    inc = "".join(f'#include "{p}.h"\n' for p, _ in counts)
    calls = "".join(f"    if (run({p}_infer, {p.upper()}_INPUTS, {p.upper()}_OUTPUT_BYTES, {n}))"
                    " return 3;\n" for p, n in counts)
    return f"""#include <stdio.h>
{inc}
static unsigned char in[256], out[258];

static int run(unsigned char (*f)(const unsigned char *, unsigned char *),
               size_t n_in, size_t n_out, long rows)
{{
    long r;
    unsigned char c;
    for (r = 0; r < rows; ++r) {{
        if (fread(in, 1, n_in, stdin) != n_in) return 1;
        out[n_out] = {SENTINEL};
        c = f(in, out);
        if (out[n_out] != {SENTINEL}) return 1;
        out[n_out] = c;
        fwrite(out, 1, n_out + 1, stdout);
    }}
    return 0;
}}

int main(void)
{{
{calls}    return 0;
}}
"""


def run_host(batch: list[tuple[QModel, np.ndarray]], tmp_path, flags=()) -> list[np.ndarray]:
    """Compile every model (prefix m0, m1, ...) into one host program, run it, and return
    per model the rows of output bytes followed by the returned byte."""
    cc = need_tool("cc")
    sources = [f"m{k}.c" for k in range(len(batch))]
    for k, (model, _) in enumerate(batch):
        for name, text in c_source(model, prefix=f"m{k}").items():
            (tmp_path / name).write_text(text)
    (tmp_path / "main.c").write_text(driver([(f"m{k}", len(q)) for k, (_, q) in enumerate(batch)]))
    build = subprocess.run([cc, *STRICT, *flags, "-o", "run", "main.c", *sources],
                           cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-3000:]
    stdin = b"".join(np.ascontiguousarray(q, dtype=np.uint8).tobytes() for _, q in batch)
    p = subprocess.run([str(tmp_path / "run")], input=stdin, capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr.decode()[-3000:]
    raw = np.frombuffer(p.stdout, dtype=np.uint8)
    results, at = [], 0
    for model, q in batch:
        n = len(q) * (model.out_bytes + 1)
        results.append(raw[at:at + n].reshape(len(q), model.out_bytes + 1))
        at += n
    assert at == len(raw)
    return results


def check_exact(model: QModel, q: np.ndarray, got: np.ndarray) -> None:
    ref = output_bytes(model, q)
    bad = np.flatnonzero((got[:, :-1] != ref).any(axis=1))
    assert bad.size == 0, f"row {bad[0]}: C {got[bad[0], :-1]} vs reference {ref[bad[0]]}"
    returned = ref[:, -1] if model.output == "argmax" else np.zeros(len(q), dtype=np.uint8)
    assert np.array_equal(got[:, -1], returned)


def edge_rows(n_inputs: int, rng: np.random.Generator, n_random: int) -> np.ndarray:
    rows = [np.zeros(n_inputs), np.full(n_inputs, 255), np.full(n_inputs, 128),
            np.full(n_inputs, 127), rng.choice([0, 255], n_inputs)]
    rows.extend(rng.integers(0, 256, (n_random, n_inputs)))
    return np.array(rows, dtype=np.uint8)


# -- the iris example -------------------------------------------------------------------------

@pytest.mark.parametrize("flags", [(), ("-funsigned-char",), ("-std=c99",)])
def test_iris_bit_exact(tmp_path, flags):
    model = load_qmodel(IRIS / "qmodel.json")
    ds = load_dataset(IRIS / "test.csv", model.inputs)
    rng = np.random.default_rng(7)
    q = np.concatenate([model.input_bytes(ds.x), edge_rows(model.inputs, rng, 3000)])
    (got,) = run_host([(model, q)], tmp_path, flags)
    check_exact(model, q, got)
    # The C agrees with the reference on the test split's classes, not only on bytes.
    assert np.array_equal(got[: len(ds.x), -1], output_bytes(model, model.input_bytes(ds.x))[:, -1])


# -- random and hand-made models ----------------------------------------------------------------

@settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(models_with_inputs(wide=False, tflite=False), min_size=20, max_size=20))
def test_random_qmodels_bit_exact(tmp_path_factory, batch):
    results = run_host(batch, tmp_path_factory.mktemp("rand"))
    for (model, q), got in zip(batch, results):
        check_exact(model, q, got)


def _layer(rng, n_in, n_out, act, wlo, whi, blo, bhi, m=(0, 256), s=(0, 25)):
    layer = QLayer(rng.integers(wlo, whi + 1, (n_in, n_out)), rng.integers(blo, bhi + 1, n_out),
                   act)
    if act not in ("step", "sign"):
        layer.multiplier = rng.integers(*m, n_out)
        layer.shift = rng.integers(*s, n_out)
    if act == "sigmoid":
        layer.table = rng.integers(0, 256, 256)
    if act == "tanh":
        layer.table = rng.integers(-128, 128, 256)
    return layer


def _model(layers, output="argmax", name="edge"):
    n = layers[0].n_in
    m = QModel(name, np.zeros(n), np.ones(n), layers, output=output)
    m.validate()
    return m


def test_edge_models_bit_exact(tmp_path):
    """256 inputs (the byte counter wraps), 255 units, 16- and 32-bit accumulators side by
    side, every activation, both outputs, a single-unit argmax, extreme requantization."""
    rng = np.random.default_rng(3)
    models = [
        _model([_layer(rng, 256, 40, "relu", -4, 4, -5000, 5000, s=(8, 16)),
                _layer(rng, 40, 255, "linear", -1, 1, -100, 100, s=(0, 4)),
                _layer(rng, 255, 3, "tanh", -1, 1, -50, 50, s=(0, 8))]),
        _model([_layer(rng, 256, 1, "sign", -128, 127, -100_000, 100_000)]),
        _model([_layer(rng, 7, 1, "hardtanh", -128, 127, -8_000_000, 8_000_000, m=(200, 256),
                       s=(20, 25))]),
        _model([_layer(rng, 9, 5, "step", -128, 127, -3000, 3000),
                _layer(rng, 5, 6, "sigmoid", -128, 127, -60, 60, m=(255, 256), s=(0, 1)),
                _layer(rng, 6, 4, "linear", -128, 127, -10, 10)], output="scores"),
        # all weights at the extremes: the accumulator bound is reached exactly
        _model([QLayer(np.full((256, 2), -128), np.array([8_388_607 - 256 * 128 * 255,
                                                          -(8_388_607 - 256 * 128 * 255)]),
                       "linear", np.array([255, 1]), np.array([24, 0]))]),
    ]
    batch = [(m, edge_rows(m.inputs, rng, 200)) for m in models]
    for (model, q), got in zip(batch, run_host(batch, tmp_path)):
        check_exact(model, q, got)


def test_accumulator_type_boundary():
    """int exactly when every unit's §3 bound is at most 32767."""
    def one(bias):
        return _model([QLayer(np.array([[127], [-1]]), np.array([bias]), "step")])

    top = 127 * 255 + 1 * 255  # 32640
    assert acc_types(one(32767 - top)) == ["int"]
    assert acc_types(one(-(32767 - top))) == ["int"]
    assert acc_types(one(32768 - top)) == ["long"]
    src = c_source(one(0))["c64ml.c"]
    assert "int acc16;" in src and "acc32" not in src


# -- requantization for every shift ------------------------------------------------------------

REQUANT_ACCS = [0, 1, -1, 2, -2, 3, -3, 127, -128, 255, -255, 32767, -32768, 65535, -65536,
                8_388_607, -8_388_607, 1 << 20, -(1 << 20), 12345, -12345]


def requant_cases() -> list[tuple[int, int, int]]:
    """Accumulators at and next to every multiple of 2^S (and of half of it), all shifts."""
    cases = []
    for s in range(25):
        accs = set(REQUANT_ACCS)
        for base in (1 << s, 1 << max(s - 1, 0), 3 << s):
            for sign in (1, -1):
                accs.update(sign * base + d for d in (-1, 0, 1))
        for m in (0, 1, 2, 127, 128, 255):
            cases.extend((a, m, s) for a in sorted(accs) if abs(a) <= 8_388_607)
    return cases


def expected_requant(a: int, m: int, s: int) -> int:
    """§4 with Python integers, whose >> is exact floor division by 2^s."""
    return (a * m + ((1 << (s - 1)) if s else 0)) >> s


def requant_program(cases) -> str:
    rows = ",\n".join(f"    {{{a}L, {m}, {s}}}" for a, m, s in cases)
    return f"""#include <stdio.h>
{REQUANT_C}
static const struct {{ long a; unsigned char m, s; }} cases[] = {{
{rows}
}};

int main(void)
{{
    unsigned int k;
    for (k = 0; k < sizeof cases / sizeof cases[0]; ++k) {{
        printf("%ld\\n", requant(cases[k].a, cases[k].m, cases[k].s));
    }}
    return 0;
}}
"""


def test_requant_every_shift_host(tmp_path):
    cc = need_tool("cc")
    cases = requant_cases()
    (tmp_path / "rq.c").write_text(requant_program(cases))
    build = subprocess.run([cc, *STRICT, "-o", "rq", "rq.c"], cwd=tmp_path, capture_output=True,
                           text=True, timeout=120)
    assert build.returncode == 0, build.stderr
    out = subprocess.run([str(tmp_path / "rq")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    got = [int(v) for v in out.stdout.split()]
    assert got == [expected_requant(*c) for c in cases]


def test_requant_expected_values_by_hand():
    """The Python formula the requant tests use, against semantics.md's own examples."""
    assert expected_requant(273, 200, 9) == 107
    assert expected_requant(-22, 129, 8) == -11
    assert expected_requant(5, 1, 1) == 3      # 2.5 -> 3
    assert expected_requant(-5, 1, 1) == -2    # -2.5 -> -2
    assert expected_requant(-1, 1, 0) == -1


# -- names, hostile text, the CLI -------------------------------------------------------------

def test_prefix_and_name_checks():
    model = load_qmodel(IRIS / "qmodel.json")
    for bad in ("", "1abc", "a-b", "a b", "x" * 25, "c64ml;"):
        with pytest.raises(C64mlError):
            c_source(model, prefix=bad)
    for bad in ("../x", "a/b", "", ".hidden", "x" * 65):
        with pytest.raises(C64mlError):
            c_source(model, name=bad)
    files = c_source(model, prefix="iris_net", name="net-1")
    assert sorted(files) == ["net-1.c", "net-1.h"]
    assert '#include "net-1.h"' in files["net-1.c"]
    assert "unsigned char iris_net_infer(" in files["net-1.h"]
    assert "#define IRIS_NET_INPUTS 4" in files["net-1.h"]


def test_hostile_model_name_compiles(tmp_path):
    model = load_qmodel(IRIS / "qmodel.json")
    model.name = "evil */ int x = \n#error no\x00 /*"
    q = edge_rows(4, np.random.default_rng(1), 10)
    (got,) = run_host([(model, q)], tmp_path)
    check_exact(model, q, got)


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_cli_format_c(tmp_path):
    r = cli("compile", IRIS / "qmodel.json", "-o", tmp_path / "iris.c", "--json")
    assert r.exit_code == 0, r.output
    info = json.loads(r.output)
    assert info["files"] == sorted([str(tmp_path / "iris.c"), str(tmp_path / "iris.h")])
    assert info["output_bytes"] == 4 and info["inputs"] == 4
    model = load_qmodel(IRIS / "qmodel.json")
    assert (tmp_path / "iris.c").read_text() == c_source(model, name="iris")["iris.c"]
    # --format c without a .c extension names the pair after the output file
    r = cli("compile", IRIS / "qmodel.json", "-o", tmp_path / "net", "--format", "c")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "net.c").exists() and (tmp_path / "net.h").exists()


@pytest.mark.parametrize("extra", [["--mode", "app"], ["--origin", "$C000"],
                                   ["--syntax", "acme"], ["--vice-exit"]])
def test_cli_format_c_refuses_other_options(tmp_path, extra):
    r = cli("compile", IRIS / "qmodel.json", "-o", tmp_path / "iris.c", *extra)
    assert r.exit_code == 2
    assert r.output.count("\n") == 1 and r.output.startswith("c64ml: error:")
    assert not (tmp_path / "iris.c").exists()


def test_cli_format_c_bad_file_name(tmp_path):
    r = cli("compile", IRIS / "qmodel.json", "-o", tmp_path / "my model.c")
    assert r.exit_code == 2 and "my model.c" in r.output
    assert r.output.count("\n") == 1


# -- docs/c-backend.md stays true --------------------------------------------------------------

DOC = EXAMPLES.parent / "docs" / "c-backend.md"


def doc_blocks(lang: str) -> list[str]:
    parts = DOC.read_text().split("```" + lang + "\n")[1:]
    return [p.split("```")[0] for p in parts]


def test_doc_function_is_the_generated_iris_code():
    src = c_source(load_qmodel(IRIS / "qmodel.json"), name="iris")
    blocks = doc_blocks("c")
    header, function = blocks[0], blocks[1]
    assert function in src["iris.c"]
    for line in header.strip().splitlines():
        assert line in src["iris.h"]


def test_doc_main_runs_on_the_host(tmp_path):
    cc = need_tool("cc")
    model = load_qmodel(IRIS / "qmodel.json")
    main_c = doc_blocks("c")[2]
    assert '#include "iris.h"' in main_c
    for name, text in c_source(model, name="iris").items():
        (tmp_path / name).write_text(text)
    (tmp_path / "main.c").write_text(main_c)
    build = subprocess.run([cc, *STRICT, "-o", "iris", "main.c", "iris.c"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr
    out = subprocess.run([str(tmp_path / "iris")], capture_output=True, text=True, timeout=30)
    cls = output_bytes(model, np.array([[10, 200, 37, 99]]))[0, -1]
    assert out.stdout == f"class {cls}\n"
    assert f"prints `class {cls}`" in DOC.read_text()


@settings(max_examples=30, deadline=None)
@given(models_with_inputs(max_layers=2, max_width=6, max_inputs=6))
def test_wide_and_tflite_layers_are_refused_in_one_line(case):
    """What the C backend cannot run exactly (a 64-bit product) is refused, naming the layer;
    everything else it accepts."""
    from c64ml.backend6502.wide import is_wide
    from c64ml.backend_c.csource import check_narrow

    model, _ = case
    wide = [k for k, (layer, kind) in enumerate(zip(model.layers, model.input_kinds()))
            if is_wide(layer, kind)]
    if not wide:
        check_narrow(model)
        return
    with pytest.raises(C64mlError) as e:
        c_source(model)
    assert e.value.line().count("\n") == 0 and f"layer {wide[0]}:" in e.value.line()
