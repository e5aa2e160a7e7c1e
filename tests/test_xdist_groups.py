"""`make test` runs on pytest-xdist workers, and tests that share one server (llama.cpp, PostgreSQL, Ray) are kept
on one worker by ``xdist_group`` marks. pytest 9.2 silently broke that (pytest-xdist issue #1386): each worker then
started its own llama.cpp server, and two on two cores timed out in CI. This checks the pinned pair still groups.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest


@pytest.mark.slow  # three interpreters: about 15 s
def test_tests_in_one_xdist_group_run_on_one_worker(tmp_path):
    (tmp_path / "test_grouped.py").write_text(textwrap.dedent("""
        import pytest

        pytestmark = pytest.mark.xdist_group("shared-server")

        @pytest.mark.parametrize("i", range(6))
        def test_one(i):
            pass
    """))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadgroup", "-v",
         "test_grouped.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
    )
    assert run.returncode == 0, run.stdout[-2000:]
    workers = re.findall(r"\[(gw\d+)\].*PASSED", run.stdout)
    assert len(workers) == 6, run.stdout[-2000:]
    assert len(set(workers)) == 1, f"one group spread over {sorted(set(workers))}"
