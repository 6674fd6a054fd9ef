"""Names are data, never code (c64ml/text.py): a model's ``name`` and ``classes`` are
checked when the model is made, and every place they reach generated output maps them
so they stay inert — assembly comments (c64ml's assembler and the ACME, 64tass, ca65
exports, assembled by the real tools), C comments (compiled by ``cc``), the C64 screen,
1541 disk and file names."""

from __future__ import annotations

import copy
import json
import re
import subprocess

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_asm_export import build as assemble_with
from test_asm_export import need
from test_cbackend import check_exact, edge_rows, run_host
from testpaths import EXAMPLES, need_tool
from testpaths import run_cli as run

from c64ml.asm.assembler import assemble
from c64ml.asm.export import SYNTAXES, export
from c64ml.asm.parse import parse
from c64ml.backend6502.app import build_app, class_names
from c64ml.backend6502.codegen import inference_source
from c64ml.backend6502.compiler import build_library
from c64ml.errors import C64mlError
from c64ml.model.dataset import Dataset, load_dataset
from c64ml.model.floatmodel import Model
from c64ml.model.load import load_model_file
from c64ml.model.qmodel import QModel, load_qmodel
from c64ml.package.d64 import make_d64, read_d64
from c64ml.package.prg import make_prg
from c64ml.text import (
    D64_CHARS,
    MAX_LABEL,
    SCREEN_CHARS,
    asm_comment,
    c_comment,
    check_label,
    d64_name,
    screen_text,
)

IRIS = EXAMPLES / "iris"
XOR = EXAMPLES / "xor" / "mlp.qmodel.json"
INJECTION = 'x"\n        jmp $E000\n;'
#: Characters that mean something to an assembler, a C compiler, a terminal or CBM DOS.
NASTY = list('"\';\\*/?:,=$!{}[]<>#@%`\t\n\r\x00\x1b\x7f\x85\xa0\u2028\u2029\u200b\u202e'
             '\ufeff\ud800\udfff\U0001f600é猫ß')
#: Any string: every code point category (lone surrogates and controls included), with
#: the nasty characters and the comment and line markers drawn often.
ANY_TEXT = st.lists(st.one_of(st.characters(exclude_categories=()),
                              st.characters(categories=["Cs", "Cc", "Zl", "Zp", "Cf"]),
                              st.sampled_from(NASTY),
                              st.sampled_from(["*/", "/*", "??", "\r\n", "x" * 40])),
                    max_size=50).map("".join)


def _bad(ch: str) -> bool:
    return not ch.isprintable()


# -- 1. the check when a model is made -------------------------------------------------------

@settings(max_examples=500, deadline=None)
@given(ANY_TEXT)
def test_check_label_accepts_exactly_short_printable_text(text):
    ok = len(text) <= MAX_LABEL and not any(_bad(c) for c in text)
    try:
        assert check_label(text, "name") == text and ok
    except C64mlError as e:
        assert not ok
        line = e.line()
        assert line.startswith("name: ") and line.isascii() and line.isprintable()
        if len(text) <= MAX_LABEL:
            first = next(c for c in text if _bad(c))
            assert f"(U+{ord(first):04X})" in line


@pytest.mark.parametrize("bad, says", [
    ("\n", "contains a control character (U+000A)"),
    ("a\x00b", "contains a control character (U+0000)"),
    ("\x85", "contains a control character (U+0085)"),
    ("\ud800", "contains a lone surrogate (U+D800)"),
    ("a\udfffb", "contains a lone surrogate (U+DFFF)"),
    ("\u2028", "contains a character that is not printable (U+2028)"),
    ("\u202e", "contains a character that is not printable (U+202E)"),
    ("a\u00a0b", "contains a character that is not printable (U+00A0)"),
    ("x" * 65, "string longer than 64 characters"),
    (7, "expected a string"),
])
@pytest.mark.parametrize("file, where", [
    ("model.json", "name"), ("model.json", "classes"),
    ("qmodel.json", "name"), ("qmodel.json", "classes"), ("qmodel.json", "float_model.name"),
])
def test_model_files_refuse_bad_text_in_one_line(tmp_path, bad, says, file, where):
    doc = json.loads((IRIS / file).read_text())
    if where == "classes":
        doc["classes"][1] = bad
        field = "classes[1]"
    elif where == "name":
        doc["name"] = bad
        field = "name"
    else:
        doc["float_model"]["name"] = bad
        field = where
    path = tmp_path / "m.json"
    path.write_text(json.dumps(doc))  # ensure_ascii: lone surrogates as \ud800 escapes
    with pytest.raises(C64mlError) as e:
        load_model_file(path)
    assert e.value.line() == f"{path}: {field}: {says}"


def test_printable_text_of_any_script_loads_and_round_trips(tmp_path):
    for file in ("model.json", "qmodel.json"):
        doc = json.loads((IRIS / file).read_text())
        doc["name"] = "Iris é 猫 😀 \"x\" ; */ \\ ??="
        doc["classes"] = ["sétosa", "", "x" * 64]
        path = tmp_path / file
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        m = load_model_file(path)
        assert (m.name, m.classes) == (doc["name"], doc["classes"])
        m.save(tmp_path / "again.json")
        again = load_model_file(tmp_path / "again.json")
        assert (again.name, again.classes) == (m.name, m.classes)


def test_python_constructors_and_sklearn_import_check_text():
    from sklearn.linear_model import Perceptron

    q = load_qmodel(IRIS / "qmodel.json")
    f = q.float_model
    with pytest.raises(C64mlError, match="^name: contains a control character"):
        Model("a\nb", f.input_lo, f.input_hi, f.layers)
    with pytest.raises(C64mlError, match=r"^classes\[2\]: contains a lone surrogate"):
        QModel("q", q.input_lo, q.input_hi, q.layers, q.output, ["a", "b", "\ud800"])
    x = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    clf = Perceptron().fit(x, [0, 1, 1, 0])
    with pytest.raises(C64mlError, match=r"^classes\[0\]: contains a control character"):
        Model.from_sklearn(clf, input_range=[0, 1], classes=["no\n", "yes"])
    with pytest.raises(C64mlError, match="^name: contains a character that is not printable"):
        Model.from_sklearn(clf, input_range=[0, 1], name="tab\u200bbed")
    assert Model.from_sklearn(clf, input_range=[0, 1], name="Äpfel").name == "Äpfel"


# -- 1b. the command line: refused in one line, exit 2, nothing written ----------------------

def _qmodel_file(tmp_path, name="iris", classes=None, stem="m"):
    doc = json.loads((IRIS / "qmodel.json").read_text())
    doc["name"] = name
    if classes is not None:
        doc["classes"] = classes
    path = tmp_path / f"{stem}.json"
    path.write_text(json.dumps(doc))
    return path


def _one_line_error(r, *needles):
    assert r.exit_code == 2, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("c64ml: error: "), r.output
    assert "Traceback" not in r.output
    for n in needles:
        assert n in lines[0], lines[0]


@pytest.mark.parametrize("suffix", [".s", ".prg", ".d64", ".c"])
def test_cli_injection_name_is_refused_at_load(tmp_path, suffix):
    path = _qmodel_file(tmp_path, INJECTION)
    out = tmp_path / "out"
    out.mkdir()
    _one_line_error(run("compile", path, "-o", out / f"x{suffix}"),
                    f"{path}: name: contains a control character (U+000A)")
    assert list(out.iterdir()) == []
    _one_line_error(run("verify", path, "--data", IRIS / "test.csv"),
                    f"{path}: name: contains a control character (U+000A)")


def test_cli_lone_surrogate_in_classes(tmp_path):
    path = _qmodel_file(tmp_path, classes=["a", "\ud800", "c"])
    want = f"{path}: classes[1]: contains a lone surrogate (U+D800)"
    _one_line_error(run("info", path), want)
    _one_line_error(run("info", path, "--json"), want)
    out = tmp_path / "out"
    out.mkdir()
    for suffix in (".prg", ".s", ".d64"):
        _one_line_error(run("compile", path, "-o", out / f"x{suffix}"), want)
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("name", ['x" jmp $E000 ;', "x' ; */ \\ ?? é 猫 :", '"; .byte 1 "'])
def test_cli_quotes_and_semicolons_compile_to_the_same_program(tmp_path, name):
    plain = _qmodel_file(tmp_path, "x", stem="plain")
    odd = _qmodel_file(tmp_path, name, stem="odd")
    p, o = tmp_path / "plain", tmp_path / "odd"  # the same output names: they appear in .s
    p.mkdir()
    o.mkdir()
    for suffix in (".prg", ".s", ".c"):
        assert run("compile", plain, "-o", p / f"out{suffix}").exit_code == 0
        r = run("compile", odd, "-o", o / f"out{suffix}")
        assert r.exit_code == 0, r.output
    assert (o / "out.prg").read_bytes() == (p / "out.prg").read_bytes()
    a, b = (p / "out.s").read_text(), (o / "out.s").read_text()
    assert len(a.splitlines()) == len(b.splitlines())
    diff = [(x, y) for x, y in zip(a.splitlines(), b.splitlines()) if x != y]
    assert len(diff) == 1 and diff[0][1].startswith("; c64ml inference routine for model \"")
    assert assemble(b, "odd.s", 0xC000).data == assemble(a, "plain.s", 0xC000).data
    assert len((o / "out.c").read_text().splitlines()) == \
        len((p / "out.c").read_text().splitlines())


# -- 2. assembly comments --------------------------------------------------------------------

BODY = "        lda #$01\n        rts\n"


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_asm_comment_is_one_inert_comment(text):
    c = asm_comment(text)
    assert len(c) <= MAX_LABEL and all(" " <= ch <= "~" for ch in c)
    line = f'; c64ml inference routine for model "{c}": 4 inputs'
    statements = parse(line + "\n" + BODY)
    assert len(statements) == 3 and statements[0].kind == "none"
    assert statements[0].label is None and statements[0].comment == line[1:]
    assert assemble(line + "\n" + BODY, "t.s", 0xC000).data == assemble(BODY, "t.s", 0xC000).data
    if text.isascii() and text.isprintable() and len(text) <= MAX_LABEL:
        assert c == text  # readable names are kept as they are


@pytest.fixture(scope="module")
def xor_model():
    m = load_qmodel(XOR)
    return m, assemble(inference_source(m), "x.s", 0xC000).data


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ANY_TEXT)
@example(INJECTION)
@example("x\r        jmp $E000")
@example("x\u2028        jmp $E000")
def test_any_name_leaves_the_program_and_its_exports_unchanged(xor_model, text):
    """Even a name that skipped the check (set after loading) cannot add code."""
    base, data = xor_model
    m = copy.copy(base)
    m.name = text
    source = inference_source(m)
    assert len(source.split("\n")) == len(inference_source(base).split("\n"))
    assert assemble(source, "x.s", 0xC000).data == data
    for syntax in SYNTAXES:
        got, want = (export(s, syntax, "x.s", origin=0xC000)["x" + (".a" if syntax == "acme"
                                                                     else ".s")].split("\n")
                     for s in (source, inference_source(base)))
        diff = [line for line, other in zip(got, want) if line != other]
        assert len(got) == len(want) and len(diff) <= 1
        assert all(c.isascii() and c.isprintable() for c in diff)


ASM_NAMES = ['x" jmp $E000 ;', "; */ \\ ?? !if 1 { .if 1 } :", "'a", "é猫😀\ud800",
             INJECTION, "x\r\x00\x1b[2J\x85\u2028"]


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_real_assemblers_build_the_same_bytes_for_adversarial_names(xor_model, syntax):
    need(syntax)
    base, data = xor_model
    for name in ASM_NAMES:
        m = copy.copy(base)
        m.name = name
        build = build_library(m, origin=0xC000)
        assert build.program.data == data
        files = export(build.source, syntax, "x.s", origin=0xC000)
        assert assemble_with(syntax, files) == data, name


# -- 3. C comments ---------------------------------------------------------------------------

@settings(max_examples=500, deadline=None)
@given(ANY_TEXT)
def test_c_comment_cannot_end_nest_splice_or_form_a_trigraph(text):
    c = c_comment(text)
    assert len(c) <= 60 and c.isascii() and c.isprintable()
    for bad in ("*/", "/*", "//", "??", "\\", '"', "'"):
        assert bad not in c


@pytest.fixture(scope="module")
def iris_rows():
    return edge_rows(4, np.random.default_rng(7), 20)


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ANY_TEXT)
@example('evil */ int x = 1; /* ??/ \\\n#error no')
@example("\ud800\x00\u2028 */")
def test_c_with_any_name_compiles_and_computes_the_same(tmp_path_factory, iris_rows, text):
    model = load_qmodel(IRIS / "qmodel.json")
    model.name = text
    (got,) = run_host([(model, iris_rows)], tmp_path_factory.mktemp("c"))
    check_exact(model, iris_rows, got)


# -- 4. the C64 screen -----------------------------------------------------------------------

@settings(max_examples=500, deadline=None)
@given(ANY_TEXT)
def test_screen_text_is_one_printable_character_per_character(text):
    s = screen_text(text)
    assert len(s) == len(text) and set(s) <= SCREEN_CHARS and screen_text(s) == s


@pytest.mark.parametrize("name", ["€ 猫 \"x\" ; ß", INJECTION])
def test_digits_demo_shows_any_name_as_screen_text(name):
    from c64ml.demos.builders import build_digits

    model = load_qmodel(EXAMPLES.parent / "c64ml" / "demos" / "data" / "digits.qmodel.json")
    loops = ["loop"] * len(model.layers)
    plain = build_digits(strategies=loops)
    model.name = name
    build = build_digits(model, strategies=loops)
    assert f"MODEL {screen_text(name[:20])} (64-".encode() in build.program.data
    assert b"MODEL DIGITS (64-" in plain.program.data


@settings(max_examples=3, deadline=None)
@given(ANY_TEXT, st.lists(ANY_TEXT, min_size=3, max_size=3))
@example(INJECTION, ["set\nosa", '"', "ß"])
def test_app_with_any_text_equals_the_app_with_its_screen_text(name, classes):
    """The app shows only screen text: a name and class names are worth no more than
    what the C64 prints of them, byte for byte."""
    model = load_qmodel(IRIS / "qmodel.json")
    data = load_dataset(IRIS / "test.csv", 4)
    data = Dataset(data.x[:5], data.y[:5])
    model.name, model.classes = name, classes
    names = class_names(model)
    assert names is None or all(set(n) <= SCREEN_CHARS for n in names)
    shown = copy.copy(model)
    shown.name = screen_text(name)
    shown.classes = classes if names is None else [screen_text(c) for c in classes]
    assert build_app(model, data).program.data == build_app(shown, data).program.data


# -- 5. 1541 names ---------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_d64_name_is_always_a_legal_1541_name(text):
    n = d64_name(text)
    assert 1 <= len(n) <= 16 and set(n) <= D64_CHARS and n == n.strip()
    prg = make_prg(0xC000, b"\x60")
    img = make_d64([(n, prg)], disk_name=n)
    assert read_d64(img) == [(n, prg)]
    assert img[0x16590:0x165A0].rstrip(b"\xa0") == n.encode()


def test_explicit_disk_names_are_still_checked():
    with pytest.raises(C64mlError, match="cannot hold"):
        make_d64([], disk_name="IRIS, V2")
    with pytest.raises(C64mlError, match="longer than 16"):
        make_d64([], disk_name="ß" * 9)  # 18 characters once upper case


@pytest.mark.parametrize("name, disk", [("IRIS, V2", "IRIS- V2"), ("é*?=$:\"", "-------"),
                                        ("   ", "C64ML"), ("a very long model name", "A VERY LONG MODE")])
def test_cli_d64_takes_a_sanitised_disk_name_from_the_model(tmp_path, name, disk):
    cc1541 = need_tool("cc1541")
    path = _qmodel_file(tmp_path, name)
    out = tmp_path / "x.d64"
    r = run("compile", path, "-o", out)
    assert r.exit_code == 0, r.output
    img = out.read_bytes()
    assert [n for n, _ in read_d64(img)] == ["X"]
    assert img[0x16590:0x165A0] == disk.encode() + b"\xa0" * (16 - len(disk))
    listing = subprocess.run([cc1541, "-V", str(out)], capture_output=True, text=True,
                             check=True).stdout
    assert re.search(r'"' + re.escape(disk.lower().ljust(16)) + r'" 64 2a', listing), listing
