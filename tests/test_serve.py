"""``dialogue-engine serve`` is Streamlit itself: a SIGTERM to it leaves nothing running."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sigterm_to_serve_stops_streamlit(tmp_path):
    port = _port()
    env = {**os.environ, "QD_DATA_DIR": str(tmp_path), "QD_CONTENT_DIR": str(ROOT), "QD_ENV_FILE": ""}
    proc = subprocess.Popen([sys.executable, "-m", "dialogue_engine.cli", "serve", "--port", str(port)], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            raise AssertionError("the app did not come up")
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        time.sleep(1)
        with socket.socket() as s:  # nothing listens on the port any more
            assert s.connect_ex(("127.0.0.1", port)) != 0
    finally:
        if proc.poll() is None:
            proc.kill()
