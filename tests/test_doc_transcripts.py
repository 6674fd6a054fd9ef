"""Every `$ c64ml …` transcript in README.md, docs/ and the example READMEs prints what the
document shows (tests/doc_transcripts.py; `--update` there pastes the current output)."""

from __future__ import annotations

import pytest
from doc_transcripts import DOCS, ROOT, check, matches, transcripts


def test_the_docs_have_transcripts():
    assert sum(len(transcripts(p)) for p in DOCS) >= 15


@pytest.mark.parametrize("path", [p for p in DOCS if any(not t.skipped for t in transcripts(p))],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_transcripts_are_current(path):
    problems = check(path)
    assert not problems, "\n".join(problems) + \
        "\n(run `python tests/doc_transcripts.py --update` and review the diff)"


def test_the_ellipsis_matcher():
    assert matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert matches(["...", "c"], ["a", "b", "c"])
    assert not matches(["...", "c"], ["a", "c", "b"])
    assert not matches(["a", "b"], ["a", "b", "c"])
    assert matches(["a", "...", "c", "...", "e"], ["a", "b", "c", "d", "e"])
    assert not matches(["a", "...", "x", "...", "e"], ["a", "b", "c", "d", "e"])
