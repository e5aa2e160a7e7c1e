"""A tiny OpenAI-compatible chat-completions server for tests and benchmarks (stdlib only, loopback).

By default it answers ``POST /v1/chat/completions`` after a fixed delay: with a tool call when the request
forces a function, with JSON content in ``json_object`` mode, else with plain text, streamed as server-sent
events when the request asks for a stream. It can fail the first N requests with an HTTP status (e.g. 429),
or replay recorded responses in order. It keeps every request body.

    with FakeOpenAIServer(delay=0.3) as server:
        OpenAICompatModel(model="fake", api_key="x", base_url=server.base_url)
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_TEXT = "We can support that package if the review clause stays [1]."


@dataclass(frozen=True, kw_only=True, slots=True)
class Recorded:
    """A recorded HTTP response: its status, headers, and a JSON body or server-sent-event lines."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: Any = None
    sse: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Recorded:
        """From the ``response`` object of a recorded exchange file."""
        return cls(status=data.get("status", 200), headers=tuple((k, str(v)) for k, v in data.get("headers", {}).items()),
                   body=data.get("body"), sse=tuple(data.get("sse", ())))


@dataclass
class _State:
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class FakeOpenAIServer:
    """A threaded loopback server speaking enough of the OpenAI chat API for the adapter.

    Args:
        delay: seconds before each answer.
        text: the reply text.
        fail_first: how many initial requests fail with ``fail_status``.
        fail_status: the HTTP status of those failures (429 rate limit, 500 ...).
        replay: recorded responses to send in order instead (the last repeats).
    """

    def __init__(self, delay: float = 0.3, text: str = DEFAULT_TEXT, fail_first: int = 0, fail_status: int = 429,
                 replay: Sequence[Recorded] = ()):
        self.delay = delay
        self.text = text
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.replay = list(replay)
        self._state = _State()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fake-openai", daemon=True)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The JSON bodies received, in order."""
        return self._state.requests

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

    def respond(self, body: dict[str, Any], n: int) -> Recorded:
        """The response to the ``n``-th request (1-based)."""
        if self.replay:
            return self.replay[min(n, len(self.replay)) - 1]
        if n <= self.fail_first:
            headers = (("retry-after", "0"),) if self.fail_status == 429 else ()
            return Recorded(status=self.fail_status, headers=headers,
                            body={"error": {"message": "fake failure", "type": "fake"}})
        if body.get("stream"):
            return Recorded(sse=tuple(_sse(body, self.text)))
        return Recorded(body=self.answer(body))

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

    def _record(self, body: dict[str, Any]) -> int:
        with self._state.lock:
            self._state.requests.append(body)
            return len(self._state.requests)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return

            def _send(self, out: Recorded) -> None:
                data = ("".join(f"{line}\n\n" for line in out.sse) if out.sse else json.dumps(out.body)).encode()
                self.send_response(out.status)
                self.send_header("content-type", "text/event-stream" if out.sse else "application/json")
                self.send_header("content-length", str(len(data)))
                for name, value in out.headers:
                    self.send_header(name, value)
                try:
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client gave up first (a timeout test): nothing to answer

            def do_GET(self) -> None:  # noqa: N802
                self._send(Recorded(body={"object": "list", "data": [{"id": "fake", "object": "model"}]}))

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                n = server._record(body)
                time.sleep(server.delay)
                self._send(server.respond(body, n))

        return Handler


def _sse(body: dict[str, Any], text: str) -> list[str]:
    """``data:`` lines streaming ``text`` word by word, then ``[DONE]``."""
    base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": body.get("model", "fake")}
    lines = []
    for piece in (p for p in re.split(r"(\s+)", text) if p):
        lines.append("data: " + json.dumps({**base, "choices": [{"index": 0, "delta": {"content": piece}}]}))
    lines.append("data: " + json.dumps({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
    return [*lines, "data: [DONE]"]
