"""A zero-latency OpenAI-compatible stub server (asyncio, HTTP/1.1 keep-alive, 127.0.0.1).

It measures the client's own overhead (``bench/eval_client_bench.py``) and produces, on demand,
the faults a real server will not: hangs, 500s, 429 with ``Retry-After``, malformed JSON, empty
``choices``, dropped connections, a server that dies and comes back. It is not a model.

    server = StubServer(handler).start()      # background thread; server.base_url = …/v1
    server.stop(); server.start()             # die and come back on the same port

``handler(request) -> StubResponse | None`` (sync or async) decides each answer; None falls back
to ``default_response`` (``GET /v1/models``, chat completions "答案：A" (streamed when asked),
completions with per-character echo logprobs). Run standalone: ``python -m eval.stub_server``.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson

REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass
class StubRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    number: int  # 1-based count of requests this server received

    @property
    def json(self) -> Any:
        try:
            return orjson.loads(self.body) if self.body else None
        except orjson.JSONDecodeError:
            return None


@dataclass
class StubResponse:
    status: int = 200
    body: Any = None  # dict/list (JSON-encoded) or bytes sent as is
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (timeouts)
    drop: bool = False  # close the connection without answering
    events: list[Any] | None = None  # server-sent events (dicts or "[DONE]")
    wire: bytes | None = field(default=None, repr=False)  # encoded once, for reused responses


def chat_body(content: str, model: str = "stub", completion_tokens: int = 3) -> dict:
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 10,
            "completion_tokens": completion_tokens,
            "total_tokens": 10 + completion_tokens,
        },
    }


def stream_events(content: str, pieces: int = 3) -> list[Any]:
    size = max(1, -(-len(content) // pieces))
    chunks = [content[i : i + size] for i in range(0, len(content), size)]
    events: list[Any] = [{"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}]
    events += [{"choices": [{"index": 0, "delta": {"content": c}}]} for c in chunks]
    events += [{"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}, "[DONE]"]
    return events


def echo_logprobs(prompt: str) -> dict:
    """Per-character tokens, each with log-probability -1 (the first None, as servers do)."""
    return {
        "tokens": list(prompt),
        "text_offset": list(range(len(prompt))),
        "token_logprobs": [None] + [-1.0] * (len(prompt) - 1),
    }


@lru_cache(maxsize=16)
def _fixed(kind: str, model: str) -> StubResponse:
    """The default answers that never change (encoded once: the stub must not be the
    bottleneck of the client benchmark)."""
    if kind == "models":
        return StubResponse(body={"object": "list", "data": [{"id": model, "object": "model"}]})
    return StubResponse(body=chat_body("答案：A", model))


def default_response(request: StubRequest, model: str = "stub") -> StubResponse:
    if request.method == "GET" and request.path.endswith("/models"):
        return _fixed("models", model)
    payload = request.json or {}
    if request.path.endswith("/chat/completions"):
        if payload.get("stream"):
            return StubResponse(events=stream_events("答案：A"))
        return _fixed("chat", model)
    if request.path.endswith("/completions"):
        prompt = str(payload.get("prompt", ""))
        choice = {
            "index": 0,
            "text": prompt + "A",
            "finish_reason": "length",
            "logprobs": echo_logprobs(prompt + "A"),
        }
        return StubResponse(
            body={
                "object": "text_completion",
                "model": model,
                "choices": [choice],
                "usage": {"completion_tokens": 1},
            }
        )
    return StubResponse(404, {"detail": "Not Found"})


def _encode(response: StubResponse) -> bytes:
    if response.wire is None:
        response.wire = _wire(response)
    return response.wire


def _wire(response: StubResponse) -> bytes:
    if response.events is not None:
        lines = b"".join(
            b"data: " + (e.encode() if isinstance(e, str) else orjson.dumps(e)) + b"\n\n"
            for e in response.events
        )
        head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
        return head.encode() + lines
    body = response.body if isinstance(response.body, bytes) else orjson.dumps(response.body)
    extra = "".join(f"{k}: {v}\r\n" for k, v in response.headers.items())
    head = (
        f"HTTP/1.1 {response.status} {REASONS.get(response.status, 'Status')}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    )
    return head.encode() + body


def _is_probe(body: bytes) -> bool:
    """Is this request eval.fingerprint's probe?"""
    from eval.fingerprint import PROBE

    return bool(body) and PROBE[0]["content"].encode() in body and b'"max_tokens":16' in body


class StubServer:
    """The stub on 127.0.0.1 (module docs)."""

    def __init__(
        self,
        handler: Callable | None = None,
        port: int = 0,
        model: str = "stub",
        record: bool = True,
        probe_reply: str | Callable[[], str] = "stub",
    ) -> None:
        self.handler, self.port, self.model, self.record = handler, port, model, record
        # The reply to eval.fingerprint's probe (change it to play a swapped model); probes are
        # neither passed to the handler nor recorded nor counted.
        self.probe_reply = probe_reply
        self.requests: list[StubRequest] = []  # every request received (when ``record``)
        self.count = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def _respond(self, request: StubRequest) -> StubResponse:
        result = self.handler(request) if self.handler else None
        if inspect.isawaitable(result):
            result = await result
        return result or default_response(request, self.model)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                body = await reader.readexactly(int(headers.get("content-length", 0) or 0))
                if _is_probe(body):
                    reply = self.probe_reply() if callable(self.probe_reply) else self.probe_reply
                    writer.write(_encode(StubResponse(body=chat_body(reply))))
                    continue
                self.count += 1
                request = StubRequest(method, path, headers, body, self.count)
                if self.record:
                    self.requests.append(request)
                response = await self._respond(request)
                if response.delay:
                    await asyncio.sleep(response.delay)
                if response.drop:
                    break
                writer.write(_encode(response))
                if writer.transport.get_write_buffer_size() > 1 << 16:
                    await writer.drain()
                if response.events is not None:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def serve_forever(self) -> None:
        """Serve in the current loop until cancelled (the standalone/bench mode)."""
        server = await asyncio.start_server(self._serve, "127.0.0.1", self.port, backlog=2048)
        self.port = server.sockets[0].getsockname()[1]
        async with server:
            await server.serve_forever()

    def start(self) -> StubServer:
        """Serve from a background thread; returns once the port is bound."""
        ready = threading.Event()

        def main() -> None:
            self._loop = asyncio.new_event_loop()

            async def boot() -> None:
                self._server = await asyncio.start_server(
                    self._serve, "127.0.0.1", self.port, backlog=2048
                )
                self.port = self._server.sockets[0].getsockname()[1]
                ready.set()

            self._loop.run_until_complete(boot())
            self._loop.run_forever()
            self._loop.close()

        self._thread = threading.Thread(target=main, daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("stub server did not start")
        return self

    def stop(self) -> None:
        """Stop listening and cut every open connection (a crash, as clients see it)."""
        if self._loop is None or self._thread is None:
            return

        async def shutdown() -> None:
            assert self._server is not None
            self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in pending:  # handlers still sleeping (delays) end here
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop = self._thread = self._server = None

    def __enter__(self) -> StubServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Zero-latency OpenAI-compatible stub server")
    parser.add_argument("--port", type=int, default=8009)
    args = parser.parse_args()
    server = StubServer(port=args.port, record=False)
    print(f"stub server on http://127.0.0.1:{args.port}/v1", flush=True)
    asyncio.run(server.serve_forever())


if __name__ == "__main__":
    main()
