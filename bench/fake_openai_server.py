"""A tiny OpenAI-compatible chat-completions server for benchmarks and tests (stdlib only, loopback).

It answers ``POST /v1/chat/completions`` after a fixed delay: with a tool call when the request forces a
function (structured output by function calling), else with JSON or plain text content. It can fail the
first N requests with a given HTTP status (e.g. 429) to exercise retries, and it counts requests.

    with FakeOpenAIServer(delay=0.3) as server:
        ChatOpenAI(base_url=server.base_url, api_key="x", ...)
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_TEXT = "We can support that package if the review clause stays [1]."


class FakeOpenAIServer:
    """A threaded loopback server speaking enough of the OpenAI chat API for ``ChatOpenAI``.

    Args:
        delay: seconds before each answer.
        text: the reply text.
        fail_first: how many initial requests fail with ``fail_status``.
        fail_status: the HTTP status of those failures (429 rate limit, 500 ...).
    """

    def __init__(self, delay: float = 0.3, text: str = DEFAULT_TEXT, fail_first: int = 0, fail_status: int = 429):
        self.delay = delay
        self.text = text
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fake-openai", daemon=True)

    @property
    def base_url(self) -> str:
        """The ``/v1`` URL to give ``OPENAI_BASE_URL``."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _record(self, body: dict[str, Any]) -> int:
        with self._lock:
            self.requests.append(body)
            return len(self.requests)

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        """The chat completion for one request body."""
        message: dict[str, Any] = {"role": "assistant", "content": self.text}
        tools = body.get("tools") or []
        if tools and body.get("tool_choice") not in (None, "none", "auto"):
            name = tools[0]["function"]["name"]
            args = json.dumps({"text": self.text, "cited": [1]})
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": name, "arguments": args}}],
            }
        elif (body.get("response_format") or {}).get("type") == "json_object":
            message["content"] = json.dumps({"text": self.text, "cited": [1]})
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                if status == 429:
                    self.send_header("retry-after", "0")
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                self._send(200, {"object": "list", "data": [{"id": "fake", "object": "model"}]})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                n = server._record(body)
                time.sleep(server.delay)
                if n <= server.fail_first:
                    self._send(server.fail_status, {"error": {"message": "fake failure", "type": "fake"}})
                    return
                self._send(200, server.answer(body))

        return Handler
