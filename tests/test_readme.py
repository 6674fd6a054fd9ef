"""The README's Python API example runs as written and prints what the README says."""

from __future__ import annotations

import re
import subprocess
import sys

from testpaths import ROOT


def test_python_api_example_runs_and_prints_what_the_readme_says():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Python API"):text.index("## Examples")]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    claimed = re.search(r"It prints `([^`]*)`", section).group(1)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == claimed
    assert claimed.startswith("0 ")  # no mismatches
