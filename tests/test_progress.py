"""Progress reporting (c64ml/progress.py): library code reports, the CLI draws the bar."""

from __future__ import annotations

from contextlib import contextmanager

from testpaths import EXAMPLES, run_cli

import c64ml.cli.progressbar
from c64ml.progress import progress, reporting


def recorder(calls: list):
    @contextmanager
    def reporter(items, label, length):
        calls.append((label, length))
        yield items
    return reporter


def test_without_a_reporter_progress_only_yields_the_items():
    assert list(progress(iter(range(5)), "x", 5)) == [0, 1, 2, 3, 4]


def test_a_reporter_sees_the_work_only_inside_its_block():
    calls: list = []
    with reporting(recorder(calls)):
        assert list(progress(range(3), "counting", 3)) == [0, 1, 2]
    assert calls == [("counting", 3)]
    assert list(progress(range(2), "later")) == [0, 1] and calls == [("counting", 3)]


def test_the_cli_installs_its_bar_for_a_command(monkeypatch):
    calls: list = []
    monkeypatch.setattr(c64ml.cli.progressbar, "progress_bar", recorder(calls))
    iris = EXAMPLES / "iris"
    res = run_cli("eval", iris / "qmodel.json", "--data", iris / "test.csv")
    assert res.exit_code == 0, res.output
    assert calls == [("evaluating", 1)]
    assert list(progress(range(2), "after the command")) == [0, 1] and len(calls) == 1


def test_the_cli_bar_is_silent_when_stderr_is_not_a_terminal(capsys):
    with c64ml.cli.progressbar.progress_bar(range(3), "quiet", 3) as bar:
        assert list(bar) == [0, 1, 2]
    assert capsys.readouterr().err == ""


def test_a_status_text_reaches_a_reporter_that_takes_it():
    seen: list = []

    @contextmanager
    def reporter(items, label, length, describe=None):
        seen.append(describe)
        yield items

    status = {"text": "loss 1.0"}
    with reporting(reporter):
        assert list(progress(range(2), "training", 2, lambda _: status["text"])) == [0, 1]
        assert list(progress(range(1), "plain", 1)) == [0]
    assert seen[0](0) == "loss 1.0" and seen[1] is None
