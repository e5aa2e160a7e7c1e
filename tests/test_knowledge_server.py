"""QD_CHROMA_URL: the same code path against a real Chroma server (``chroma run``)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dialogue_engine.config import get_settings
from knowledge_helpers import DOCS

from procs import stop

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def chroma_url(tmp_path):
    exe = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    if not Path(exe).exists():
        pytest.skip("the chroma CLI (ships with chromadb) is not on PATH")
    port = _free_port()
    log = (tmp_path / "chroma.log").open("w")
    proc = subprocess.Popen(
        [exe, "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    try:
        while time.time() < deadline:
            if proc.poll() is not None:
                pytest.skip(f"chroma server exited early (see {tmp_path / 'chroma.log'})")
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.skip("chroma server did not answer within 30 s")
        yield url
    finally:
        stop(proc)
        log.close()


def test_chroma_url_switches_to_the_server(chroma_url, monkeypatch, tmp_path):
    from dialogue_engine.knowledge import KnowledgeBase, default_knowledge_base

    monkeypatch.setenv("QD_CHROMA_URL", chroma_url)
    get_settings.cache_clear()
    kb = default_knowledge_base()
    assert kb.chroma_url == chroma_url
    report = kb.ingest([DOCS])
    assert report.added == kb.count() > 0
    assert kb.ingest([DOCS]).added == 0
    hits = kb.search("which members get a discount on berthing fees?", k=2)
    assert hits[0].source == "harbour-compact.md"
    assert not (get_settings().resolved_store_dir / "chroma.sqlite3").exists()
    fresh = KnowledgeBase(chroma_url=chroma_url)
    assert fresh.sources() == sorted(p.name for p in DOCS.iterdir())
    assert fresh.remove("orchard-notes.txt") > 0
    assert "orchard-notes.txt" not in kb.sources()
