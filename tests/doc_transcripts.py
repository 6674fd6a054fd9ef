"""Shell transcripts in the docs (`$ c64ml …` lines in fenced blocks, followed by their
output) are real: this runs each command and compares what it prints.

    python tests/doc_transcripts.py            # check every transcript, list differences
    python tests/doc_transcripts.py --update   # paste the current output into the docs

Commands run in-process (click's CliRunner) in a scratch directory that links ``examples``
to the repository's, in document order (so a file one command writes can be read by the
next); ``/tmp/`` in a command means that scratch directory. ``demo`` and ``bench``
transcripts are skipped: they print wall-clock times and take minutes; their figures are
checked by tests/test_cli_demo.py and tests/test_bench.py.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
        *sorted((ROOT / "examples").glob("*/README.md"))]
SKIPPED = ("demo", "bench")


@dataclass
class Transcript:
    path: Path
    line: int            # 0-based index of the `$ c64ml` line in the file
    args: list[str]
    expected: list[str]  # the output lines as the document shows them

    @property
    def skipped(self) -> bool:
        return self.args[0] in SKIPPED


def transcripts(path: Path) -> list[Transcript]:
    """Every `$ c64ml …` command in a fenced block of ``path`` with the lines up to the next
    command or the end of the block."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out: list[Transcript] = []
    fenced = False
    current: Transcript | None = None
    for i, line in enumerate(lines):
        if line.startswith("```"):
            fenced = not fenced
            current = None
            continue
        if not fenced:
            continue
        if line.startswith("$ "):
            current = None
            if line.startswith("$ c64ml "):
                current = Transcript(path, i, shlex.split(line[len("$ c64ml "):]), [])
                out.append(current)
        elif current is not None:
            current.expected.append(line)
    return out


def run(t: Transcript, scratch: Path) -> list[str]:
    """The lines the command prints now, with the scratch directory written back as /tmp/."""
    from click.testing import CliRunner

    from c64ml.cli import main

    args = [a.replace("/tmp/", f"{scratch}/") for a in t.args]
    old = os.getcwd()
    os.chdir(scratch)
    try:
        result = CliRunner().invoke(main, args)
    finally:
        os.chdir(old)
    text = result.output.replace(f"{scratch}/", "/tmp/")
    return [line.rstrip() for line in text.splitlines()]


def matches(want: list[str], got: list[str]) -> bool:
    """Whether ``got`` is ``want``, where a line ``...`` in ``want`` stands for any lines."""
    if "..." not in want:
        return want == got
    parts: list[list[str]] = [[]]
    for line in want:
        if line == "...":
            parts.append([])
        else:
            parts[-1].append(line)
    head, *middle, tail = parts
    if got[:len(head)] != head or (tail and got[len(got) - len(tail):] != tail):
        return False
    pos, end = len(head), len(got) - len(tail)
    for part in middle:
        for start in range(pos, end - len(part) + 1):
            if got[start:start + len(part)] == part:
                pos = start + len(part)
                break
        else:
            return False
    return pos <= end


def scratch_dir(base: Path) -> Path:
    link = base / "examples"
    if not link.exists():
        link.symlink_to(ROOT / "examples")
    return base


def check(path: Path, update: bool = False) -> list[str]:
    """Differences between ``path``'s transcripts and the commands' output (``update``:
    rewrite the document with the current output instead)."""
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="c64ml-doc-") as d:
        scratch = scratch_dir(Path(d))
        lines = path.read_text(encoding="utf-8").splitlines()
        shift = 0
        for t in transcripts(path):
            if t.skipped:
                continue
            got = run(t, scratch)
            want = [line.rstrip() for line in t.expected]
            if matches(want, got):
                continue
            where = f"{path.relative_to(ROOT)}:{t.line + 1}: c64ml {' '.join(t.args)}"
            problems.append(f"{where}\n  doc: {want}\n  now: {got}")
            if update:
                start = t.line + 1 + shift
                if want.count("...") == 1:  # keep the elision: as many lines on each side
                    k = want.index("...")
                    tail = len(want) - k - 1
                    if k + tail <= len(got):
                        got = got[:k] + ["..."] + got[len(got) - tail:]
                lines[start:start + len(t.expected)] = got
                shift += len(got) - len(t.expected)
        if update and problems:
            text = "\n".join(lines) + "\n"
            path.write_text(re.sub(r"\n+\Z", "\n", text), encoding="utf-8")
    return problems


def main(argv: list[str]) -> int:
    update = "--update" in argv
    failed = 0
    for path in DOCS:
        for p in check(path, update):
            failed += 1
            print(("updated " if update else "") + p)
    print(f"{failed} transcript(s) {'updated' if update else 'differ'}")
    return 0 if update or failed == 0 else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv[1:]))
