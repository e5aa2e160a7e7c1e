"""The command line starts and lists its commands."""

import subprocess
import sys


def test_help_lists_commands():
    out = subprocess.run([sys.executable, "-m", "dialogue_engine.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    assert "validate" in out.stdout
