"""Async client for OpenAI-compatible servers (``llamafactory-cli api``, ``vllm serve``).

Library API (the demo reuses it)::

    client = ChatClient("http://127.0.0.1:8000/v1", api_key=None, concurrency=16)
    reply = await client.complete([{"role": "user", "content": "头痛怎么办？"}], max_tokens=256)
    reply.text, reply.completion_tokens, reply.latency_s
    async for delta in client.stream(messages, max_tokens=256, temperature=0.7):
        print(delta, end="")
    await client.aclose()

* ``base_url`` may be one URL or several replicas of the same model (``["http://a:8000/v1",
  "http://b:8000/v1"]``): each request goes to the replica with the fewest requests in flight and a
  replica that fails is rested for a moment while the others take its share.
* At most ``concurrency`` (1–256) requests per replica are in flight; each attempt has a
  ``timeout``. Timeouts, connection errors, 408/429 (``Retry-After`` honoured) and 5xx, malformed
  JSON and empty ``choices`` are retried with exponential backoff and jitter (``RetryPolicy``);
  other 4xx fail at once. Whatever cannot be answered raises :class:`EndpointError`, whose message
  is one readable line (no request content).
* ``API_KEY`` (or ``OPENAI_API_KEY``) and the base URL (``MEDQA_ENDPOINT`` or ``OPENAI_BASE_URL``)
  come from the environment when not given. The model id is read from ``/v1/models`` when not
  given; a server listing several models (vLLM with LoRA modules) must be told which one.
* ``client.stats`` counts requests, retries, failures, latency percentiles and generated tokens.

aiohttp is used rather than httpx: at 64 concurrent requests httpx's pool spends ~3.5 ms of CPU
per request (~260 req/s here), aiohttp ~0.15 ms (see ``bench/eval_client_bench.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson

from eval.stats import RequestStats
from medqa.http import retry_after_seconds

DEFAULT_TIMEOUT = 120.0
MAX_CONCURRENCY = 256
ENDPOINT_ENV = ("MEDQA_ENDPOINT", "OPENAI_BASE_URL")
API_KEY_ENV = ("API_KEY", "OPENAI_API_KEY")


class EndpointError(RuntimeError):
    """The endpoint is down, keeps failing, or rejected the request; ``str(exc)`` says why."""

    def __init__(
        self, message: str, *, url: str = "", status: int | None = None, attempts: int = 1
    ) -> None:
        super().__init__(message)
        self.url, self.status, self.attempts = url, status, attempts


class _Transient(Exception):
    """One failed attempt worth retrying."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.message, self.status, self.retry_after = message, status, retry_after


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: attempt ``n`` waits U(d/2, d), d = min(cap, base·2ⁿ).

    A ``Retry-After`` header (seconds or HTTP date) is waited for at least, up to
    ``retry_after_max`` seconds."""

    max_retries: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 20.0
    retry_after_max: float = 60.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        ceiling = min(self.backoff_max, self.backoff_base * 2**attempt)
        backoff = random.uniform(ceiling / 2, ceiling)
        if retry_after is not None:
            return min(self.retry_after_max, max(retry_after, backoff))
        return backoff


@dataclass
class Completion:
    """One answer: its text, why it stopped, token counts and how long the request took."""

    text: str
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float = 0.0
    endpoint: str = ""
    reasoning: str | None = None  # vLLM reasoning parsers put thinking here
    logprobs: dict | None = None  # /v1/completions with logprobs
    cached: bool = False  # came from the response cache, not the endpoint

    def to_cache(self) -> dict[str, Any]:
        """The fields kept in the response cache."""
        record = {
            "text": self.text,
            "finish_reason": self.finish_reason,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "latency_s": round(self.latency_s, 4),
        }
        if self.reasoning:
            record["reasoning"] = self.reasoning
        if self.logprobs is not None:  # what scoring needs, not the top-k alternatives
            keep = ("text_offset", "token_logprobs")
            record["logprobs"] = {k: self.logprobs.get(k) for k in keep}
        return record

    @classmethod
    def from_cache(cls, record: dict[str, Any]) -> Completion:
        fields = ("text", "finish_reason", "prompt_tokens", "completion_tokens", "latency_s")
        known = {k: record.get(k) for k in fields}
        known["latency_s"] = known["latency_s"] or 0.0
        return cls(
            **known, reasoning=record.get("reasoning"), logprobs=record.get("logprobs"), cached=True
        )


@dataclass
class Replica:
    """One server of the pool and what we know about its health."""

    url: str
    in_flight: int = 0
    resting_until: float = 0.0
    failures: int = 0
    served: int = 0
    semaphore: asyncio.Semaphore | None = field(default=None, repr=False)


def normalize_base_url(url: str) -> str:
    """``http://host:8000`` → ``http://host:8000/v1``; a pasted ``…/v1/chat/completions`` is cut
    back to ``…/v1``; trailing slashes removed."""
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"endpoint {url!r} is not an http(s) URL like http://127.0.0.1:8000/v1")
    for suffix in ("/chat/completions", "/completions", "/models"):
        url = url.removesuffix(suffix)
    _, _, rest = url.partition("://")
    if "/" not in rest:
        url += "/v1"
    return url


def resolve_base_urls(base_url: str | Sequence[str] | None) -> list[str]:
    """The replica URLs from the argument, else from ``MEDQA_ENDPOINT``/``OPENAI_BASE_URL``
    (comma-separated for several)."""
    if base_url is None or base_url == [] or base_url == ():
        env = next((os.environ[k] for k in ENDPOINT_ENV if os.environ.get(k)), "")
        base_url = [u for u in env.split(",") if u.strip()]
        if not base_url:
            raise ValueError("no endpoint given (pass --endpoint or set MEDQA_ENDPOINT)")
    urls = [base_url] if isinstance(base_url, str) else list(base_url)
    return [normalize_base_url(u) for u in urls]


def _error_detail(body: bytes) -> str:
    """The server's own error message from a JSON error body (FastAPI ``detail``, OpenAI
    ``error.message``), else the start of the body."""
    try:
        obj = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body[:200].decode("utf-8", "replace").strip()
    if isinstance(obj, dict):
        error = obj.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:300]
        if obj.get("detail"):
            return str(obj["detail"])[:300]
        if obj.get("message"):
            return str(obj["message"])[:300]
    return str(obj)[:200]


def _check_status(status: int, headers, body: bytes, url: str) -> None:
    """Raise for a non-200 answer: retryable ones as ``_Transient``, others as EndpointError."""
    if status == 200:
        return
    detail = _error_detail(body)
    if status in (408, 429) or status >= 500:
        retry_after = retry_after_seconds(headers.get("Retry-After"))
        raise _Transient(f"HTTP {status} from {url}: {detail}", status, retry_after)
    hint = {401: " (wrong or missing API_KEY)", 404: " (wrong URL, or the server lacks this API)"}
    raise EndpointError(
        f"HTTP {status} from {url}: {detail}{hint.get(status, '')}", url=url, status=status
    )


def _first_choice(body: bytes, url: str) -> dict:
    try:
        obj = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise _Transient(f"malformed JSON from {url}") from None
    choices = obj.get("choices") if isinstance(obj, dict) else None
    if not choices or not isinstance(choices[0], dict):
        raise _Transient(f"no choices in the answer from {url}")
    choice = dict(choices[0])
    choice["_usage"] = obj.get("usage") or {}
    return choice


def _completion_from_choice(choice: dict, latency: float, url: str) -> Completion:
    message = choice.get("message")
    usage = choice["_usage"]
    if isinstance(message, dict):
        text = message.get("content") or ""
        reasoning = message.get("reasoning_content") or message.get("reasoning")
    else:
        text, reasoning = choice.get("text") or "", None
    return Completion(
        text=text,
        finish_reason=choice.get("finish_reason"),
        prompt_tokens=usage.get("prompt_tokens"),
        completion_tokens=usage.get("completion_tokens"),
        latency_s=latency,
        endpoint=url,
        reasoning=reasoning,
        logprobs=choice.get("logprobs"),
    )


def _clean_params(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}


class ChatClient:
    """OpenAI-compatible chat/completions client over one or several replicas (module docs)."""

    def __init__(
        self,
        base_url: str | Sequence[str] | None = None,
        model: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        concurrency: int = 16,
        retry: RetryPolicy | None = None,
        connect_timeout: float = 10.0,
    ) -> None:
        if not 1 <= concurrency <= MAX_CONCURRENCY:
            raise ValueError(f"concurrency must be 1–{MAX_CONCURRENCY}, got {concurrency}")
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        self.replicas = [Replica(url) for url in resolve_base_urls(base_url)]
        env_key = next((os.environ[k] for k in API_KEY_ENV if os.environ.get(k)), None)
        self.api_key = api_key if api_key is not None else env_key
        self.timeout, self.connect_timeout = timeout, min(connect_timeout, timeout)
        self.concurrency = concurrency
        self.retry = retry or RetryPolicy()
        self.stats = RequestStats()
        self._model = model
        self._model_root: str | None = None
        self.model_entry: dict | None = None  # the served model's /v1/models entry
        self.fingerprint: str | None = None  # set by the runner (eval.fingerprint)
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._rr = 0
        self._model_lock: asyncio.Lock | None = None

    @property
    def base_urls(self) -> list[str]:
        return [r.url for r in self.replicas]

    # -- session and replica choice ------------------------------------------------------------

    def _ensure_session(self) -> aiohttp.ClientSession:
        """One aiohttp session per event loop (the demo may build us outside any loop)."""
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
            connector = aiohttp.TCPConnector(
                limit=self.concurrency * len(self.replicas) + 4, limit_per_host=0, ttl_dns_cache=300
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers=headers,
                json_serialize=lambda obj: orjson.dumps(obj).decode(),
            )
            self._loop = loop
            for replica in self.replicas:
                replica.semaphore = asyncio.Semaphore(self.concurrency)
            self._model_lock = asyncio.Lock()
        return self._session

    def _pick(self) -> Replica:
        """The healthy replica with the fewest requests in flight (round-robin among equals);
        when all are resting, the one that rests the shortest."""
        now = time.monotonic()
        healthy = [r for r in self.replicas if r.resting_until <= now]
        if not healthy:
            return min(self.replicas, key=lambda r: r.resting_until)
        self._rr += 1
        n = len(healthy)
        return min((healthy[(self._rr + i) % n] for i in range(n)), key=lambda r: r.in_flight)

    async def aclose(self) -> None:
        """Close the HTTP session (safe to call twice)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def __aenter__(self) -> ChatClient:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    # -- one attempt and the retry loop ---------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _attempt(self, replica: Replica, timeout_message: str) -> AsyncIterator[None]:
        """One slot of ``replica`` for one attempt; transport failures become ``_Transient``."""
        assert replica.semaphore is not None
        async with replica.semaphore:
            replica.in_flight += 1
            try:
                yield
            except TimeoutError:
                raise _Transient(timeout_message) from None
            except aiohttp.ClientConnectorError as exc:
                raise _Transient(f"cannot connect to {replica.url} ({exc.os_error})") from None
            except aiohttp.ClientError as exc:
                raise _Transient(f"connection to {replica.url} failed ({exc})") from None
            finally:
                replica.in_flight -= 1

    async def _post_once(self, replica: Replica, path: str, payload: dict) -> tuple[dict, float]:
        session = self._ensure_session()
        url = f"{replica.url}{path}"
        timeout = aiohttp.ClientTimeout(total=self.timeout, sock_connect=self.connect_timeout)
        async with self._attempt(replica, f"{url} timed out after {self.timeout:g}s"):
            start = time.perf_counter()
            async with session.post(url, json=payload, timeout=timeout) as response:
                body = await response.read()
                status, headers = response.status, response.headers
            latency = time.perf_counter() - start
        _check_status(status, headers, body, url)
        return _first_choice(body, url), latency

    async def _with_retries(self, path: str, payload: dict) -> Completion:
        last: _Transient | None = None
        attempts = self.retry.max_retries + 1
        for attempt in range(attempts):
            replica = self._pick()
            try:
                choice, latency = await self._post_once(replica, path, payload)
            except _Transient as exc:
                last = exc
                replica.failures += 1
                rest = self.retry.delay(attempt, exc.retry_after)
                replica.resting_until = time.monotonic() + rest
                if attempt + 1 < attempts:
                    self.stats.retries += 1
                    await asyncio.sleep(rest if len(self.replicas) == 1 else rest / 4)
                continue
            except EndpointError as exc:
                self.stats.record_failure(str(exc))
                raise
            replica.served += 1
            replica.resting_until = 0.0
            completion = _completion_from_choice(choice, latency, replica.url)
            self.stats.record_success(latency, completion.completion_tokens)
            return completion
        assert last is not None
        message = f"{last.message} (gave up after {attempts} attempts)"
        self.stats.record_failure(last.message)
        raise EndpointError(
            message, url=self.replicas[0].url, status=last.status, attempts=attempts
        )

    # -- public API -----------------------------------------------------------------------------

    async def model_name(self) -> str:
        """The model id to send: as given, else the one model ``/v1/models`` lists."""
        if self._model is not None:
            return self._model
        self._ensure_session()
        assert self._model_lock is not None
        async with self._model_lock:
            if self._model is None:
                models = await self.list_models()
                if len(models) != 1:
                    names = ", ".join(str(m.get("id", "?")) for m in models) or "none"
                    raise EndpointError(
                        f"{self.replicas[0].url} serves {len(models)} models ({names}); "
                        "name one with --model"
                    )
                self._model = str(models[0]["id"])
                self._model_root = models[0].get("root")
                self.model_entry = models[0]
        return self._model

    @property
    def model_identity(self) -> dict[str, str | None]:
        """What identifies the served weights for the cache: model id, the path it was loaded
        from when the server reports it (vLLM), and the fingerprint of what answers under that
        name (eval.fingerprint) once the runner has taken it."""
        return {"model": self._model, "root": self._model_root, "fingerprint": self.fingerprint}

    async def list_models(self) -> list[dict]:
        """``GET /v1/models`` of the first replica that answers (with retries)."""
        session = self._ensure_session()
        timeout = aiohttp.ClientTimeout(
            total=min(self.timeout, 30), sock_connect=self.connect_timeout
        )
        last = "no replica"
        for attempt in range(self.retry.max_retries + 1):
            url = f"{self.replicas[attempt % len(self.replicas)].url}/models"
            try:
                async with session.get(url, timeout=timeout) as response:
                    body, status, headers = await response.read(), response.status, response.headers
                _check_status(status, headers, body, url)
                data = orjson.loads(body).get("data")
                if not isinstance(data, list):
                    raise _Transient(f"{url} answered without a 'data' list")
                return [m for m in data if isinstance(m, dict)]
            except (TimeoutError, aiohttp.ClientError, _Transient, orjson.JSONDecodeError) as exc:
                last = (
                    getattr(exc, "message", None)
                    or f"cannot reach {url} ({exc or type(exc).__name__})"
                )
                if attempt < self.retry.max_retries:
                    await asyncio.sleep(self.retry.delay(attempt))
        raise EndpointError(f"{last} (is the server running?)", url=self.replicas[0].url)

    async def complete(self, messages: list[dict], **params: Any) -> Completion:
        """``POST /v1/chat/completions`` (not streamed); params are OpenAI decoding parameters."""
        payload = {"model": await self.model_name(), "messages": messages, **_clean_params(params)}
        payload.pop("stream", None)
        return await self._with_retries("/chat/completions", payload)

    async def complete_text(self, prompt: str, **params: Any) -> Completion:
        """``POST /v1/completions`` (raw prompt; e.g. ``echo=True, logprobs=1`` for scoring)."""
        payload = {"model": await self.model_name(), "prompt": prompt, **_clean_params(params)}
        try:
            return await self._with_retries("/completions", payload)
        except EndpointError as exc:
            if exc.status == 404:
                raise EndpointError(
                    f"{self.replicas[0].url} has no /v1/completions (LLaMA-Factory's API lacks "
                    "it; log-likelihood scoring needs a vLLM server)",
                    url=exc.url,
                    status=404,
                ) from None
            raise

    async def stream(self, messages: list[dict], **params: Any) -> AsyncIterator[str]:
        """Text deltas of a streamed chat completion. Failures before the first delta are
        retried; a stream cut off later raises EndpointError (the text so far is kept by the
        caller)."""
        payload = {
            "model": await self.model_name(),
            "messages": messages,
            **_clean_params(params),
            "stream": True,
        }
        attempts = self.retry.max_retries + 1
        for attempt in range(attempts):
            replica = self._pick()
            started = False
            try:
                async for delta in self._stream_once(replica, payload):
                    started = True
                    yield delta
                replica.served += 1
                return
            except _Transient as exc:
                replica.failures += 1
                if started:
                    raise EndpointError(f"answer cut off: {exc.message}", url=replica.url) from None
                if attempt + 1 == attempts:
                    raise EndpointError(
                        f"{exc.message} (gave up after {attempts} attempts)",
                        url=replica.url,
                        status=exc.status,
                        attempts=attempts,
                    ) from None
                delay = self.retry.delay(attempt, exc.retry_after)
                replica.resting_until = time.monotonic() + delay
                await asyncio.sleep(delay if len(self.replicas) == 1 else delay / 4)

    async def _stream_once(self, replica: Replica, payload: dict) -> AsyncIterator[str]:
        session = self._ensure_session()
        url = f"{replica.url}/chat/completions"
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=self.connect_timeout, sock_read=self.timeout
        )
        async with (
            self._attempt(replica, f"{url} sent nothing for {self.timeout:g}s"),
            session.post(url, json=payload, timeout=timeout) as response,
        ):
            if response.status != 200:
                _check_status(response.status, response.headers, await response.read(), url)
            async for line in response.content:
                delta, done = _sse_delta(line, url)
                if done:
                    return
                if delta:
                    yield delta


def _sse_delta(line: bytes, url: str) -> tuple[str, bool]:
    """(text delta, finished) from one server-sent-events line."""
    line = line.strip()
    if not line.startswith(b"data:"):
        return "", False
    data = line[5:].strip()
    if data == b"[DONE]":
        return "", True
    try:
        chunk = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise _Transient(f"malformed stream chunk from {url}") from None
    if isinstance(chunk, dict) and chunk.get("error"):
        raise _Transient(f"error in stream from {url}: {_error_detail(data)}")
    choices = chunk.get("choices") if isinstance(chunk, dict) else None
    if not choices:
        return "", False
    delta = choices[0].get("delta") or {}
    return delta.get("content") or "", False
