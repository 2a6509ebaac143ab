"""The client against a stub endpoint: faults a real server does not produce on demand."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from eval.client import ChatClient, EndpointError, RetryPolicy, normalize_base_url
from eval.stub_server import StubResponse, chat_body, stream_events

FAST = RetryPolicy(max_retries=3, backoff_base=0.01, backoff_max=0.05)
ASK = [{"role": "user", "content": "头痛怎么办？"}]


def chat_calls(server) -> list:
    return [r for r in server.requests if r.path.endswith("/chat/completions")]


def failing_first(n: int, response: StubResponse):
    """A handler that answers the first ``n`` chat requests with ``response``."""
    seen = {"chat": 0}

    def handler(request):
        if request.path.endswith("/chat/completions"):
            seen["chat"] += 1
            if seen["chat"] <= n:
                return response
        return None

    return handler


async def ask(client: ChatClient, messages=ASK, **params):
    async with client:
        return await client.complete(messages, **params)


@pytest.mark.parametrize(
    "fault",
    [
        StubResponse(500, {"detail": "boom"}),
        StubResponse(502, b"<html>bad gateway</html>"),
        StubResponse(body=b"{not json"),
        StubResponse(body={"id": "x", "choices": []}),
        StubResponse(drop=True),
    ],
    ids=["500", "502-html", "malformed-json", "empty-choices", "dropped-connection"],
)
def test_transient_faults_are_retried_until_answered(stub, fault):
    server = stub(failing_first(2, fault))
    client = ChatClient(server.base_url, retry=FAST)
    reply = asyncio.run(ask(client, max_tokens=8))
    assert reply.text == "答案：A"
    assert client.stats.retries == 2
    assert len(chat_calls(server)) == 3


def test_timeout_is_retried(stub):
    server = stub(failing_first(1, StubResponse(delay=2.0)))
    client = ChatClient(server.base_url, timeout=0.3, retry=FAST)
    reply = asyncio.run(ask(client))
    assert reply.text == "答案：A" and client.stats.retries == 1


def test_429_waits_for_retry_after(stub):
    server = stub(
        failing_first(
            1, StubResponse(429, {"error": {"message": "slow down"}}, {"Retry-After": "1"})
        )
    )
    client = ChatClient(server.base_url, retry=FAST)
    start = time.monotonic()
    reply = asyncio.run(ask(client))
    assert reply.text == "答案：A"
    assert time.monotonic() - start >= 0.95  # backoff alone would be ~0.01 s


@pytest.mark.parametrize("value", ["soon", "Wed, 99 Foo 2015 07:28:00 GMT", ""])
def test_unreadable_retry_after_falls_back_to_backoff(stub, value):
    server = stub(
        failing_first(1, StubResponse(429, {"detail": "slow down"}, {"Retry-After": value}))
    )
    client = ChatClient(server.base_url, retry=FAST)
    reply = asyncio.run(ask(client))
    assert reply.text == "答案：A" and client.stats.retries == 1


def test_gives_up_after_retries_with_a_readable_error(stub):
    server = stub(
        lambda r: (
            StubResponse(503, {"detail": "overloaded"})
            if r.path.endswith("/chat/completions")
            else None
        )
    )
    client = ChatClient(server.base_url, retry=FAST)
    with pytest.raises(EndpointError) as info:
        asyncio.run(ask(client))
    assert "HTTP 503" in str(info.value) and "overloaded" in str(info.value)
    assert "gave up after 4 attempts" in str(info.value)
    assert len(chat_calls(server)) == 4
    assert client.stats.summary()["failed"] == 1


def test_client_errors_fail_at_once_with_the_server_detail(stub):
    server = stub(
        lambda r: (
            StubResponse(400, {"detail": "Only supports u/a/u/a/u..."})
            if r.path.endswith("/chat/completions")
            else None
        )
    )
    with pytest.raises(EndpointError, match="Only supports u/a/u/a/u") as info:
        asyncio.run(ask(ChatClient(server.base_url, retry=FAST)))
    assert info.value.status == 400
    assert len(chat_calls(server)) == 1


def test_endpoint_down_is_a_clear_error(stub):
    server = stub()
    url = server.base_url
    server.stop()
    with pytest.raises(EndpointError, match="is the server running"):
        asyncio.run(ask(ChatClient(url, retry=FAST)))


def test_server_that_dies_and_comes_back_loses_nothing(stub):
    server = stub(
        lambda r: (
            StubResponse(body=chat_body(r.json["messages"][0]["content"]), delay=0.01)
            if r.method == "POST"
            else None
        )
    )
    client = ChatClient(
        server.base_url,
        concurrency=4,
        retry=RetryPolicy(max_retries=8, backoff_base=0.1, backoff_max=0.5),
    )

    async def main():
        async with client:
            tasks = [
                asyncio.create_task(client.complete([{"role": "user", "content": f"q{i}"}]))
                for i in range(40)
            ]
            while len(chat_calls(server)) < 10:
                await asyncio.sleep(0.005)
            server.stop()  # in-flight requests are cut, new ones refused
            await asyncio.sleep(0.4)
            server.start()  # same port
            return await asyncio.gather(*tasks)

    replies = asyncio.run(main())
    assert [r.text for r in replies] == [f"q{i}" for i in range(40)]
    assert client.stats.retries > 0


def test_concurrency_is_bounded(stub):
    active = {"now": 0, "max": 0}
    lock = threading.Lock()

    async def handler(request):
        if request.method != "POST":
            return None
        with lock:
            active["now"] += 1
            active["max"] = max(active["max"], active["now"])
        await asyncio.sleep(0.03)
        with lock:
            active["now"] -= 1
        return None

    server = stub(handler)
    client = ChatClient(server.base_url, concurrency=4)

    async def main():
        async with client:
            await asyncio.gather(*(client.complete(ASK) for _ in range(24)))

    asyncio.run(main())
    assert active["max"] == 4


def test_replicas_share_the_load_and_cover_for_a_dead_one(stub):
    a, b = stub(), stub()
    dead = stub()
    dead_url = dead.base_url
    dead.stop()
    client = ChatClient([a.base_url, b.base_url, dead_url], model="stub", concurrency=8, retry=FAST)

    async def main():
        async with client:
            return await asyncio.gather(*(client.complete(ASK) for _ in range(90)))

    replies = asyncio.run(main())
    assert len(replies) == 90 and all(r.text == "答案：A" for r in replies)
    served = {r.url: r.served for r in client.replicas}
    assert served[dead_url] == 0
    assert min(served[a.base_url], served[b.base_url]) >= 30


def test_model_is_discovered_or_must_be_named(stub):
    server = stub(model="qwen-medqa")
    asyncio.run(ask(ChatClient(server.base_url)))
    assert chat_calls(server)[0].json["model"] == "qwen-medqa"

    several = stub(
        lambda r: (
            StubResponse(body={"data": [{"id": "base"}, {"id": "lora-a"}]})
            if r.path.endswith("/models")
            else None
        )
    )
    with pytest.raises(EndpointError, match=r"serves 2 models \(base, lora-a\).*--model"):
        asyncio.run(ask(ChatClient(several.base_url)))
    asyncio.run(ask(ChatClient(several.base_url, model="lora-a")))
    assert chat_calls(several)[0].json["model"] == "lora-a"


def test_api_key_and_endpoint_come_from_the_environment(stub, monkeypatch):
    server = stub()
    monkeypatch.setenv("MEDQA_ENDPOINT", f"http://127.0.0.1:{server.port}")
    monkeypatch.setenv("API_KEY", "sk-test-123")
    client = ChatClient()
    assert client.base_urls == [server.base_url]
    asyncio.run(ask(client, temperature=0, max_tokens=4, top_p=None))
    request = chat_calls(server)[0]
    assert request.headers["authorization"] == "Bearer sk-test-123"
    assert request.json["temperature"] == 0 and "top_p" not in request.json


def test_stream_yields_deltas_and_retries_before_the_first(stub):
    server = stub(failing_first(1, StubResponse(500, {"detail": "warming up"})))
    client = ChatClient(server.base_url, retry=FAST)

    async def main():
        async with client:
            return [d async for d in client.stream(ASK, max_tokens=8)]

    assert "".join(asyncio.run(main())) == "答案：A"
    assert chat_calls(server)[-1].json["stream"] is True


def test_stream_cut_off_midway_raises(stub):
    events = stream_events("第一段第二段第三段")[:3]  # no [DONE]: the server died mid-answer
    server = stub(lambda r: StubResponse(events=events) if r.method == "POST" else None)
    client = ChatClient(server.base_url, retry=FAST)
    received = []

    async def main():
        async with client:
            async for delta in client.stream(ASK):
                received.append(delta)

    asyncio.run(main())  # a stream that simply ends is a (short) answer, not an error
    assert "".join(received) == "第一段第二段"

    def broken(request):
        if request.method == "POST":
            return StubResponse(events=[{"choices": [{"delta": {"content": "半句"}}]}, "oops{"])
        return None

    server2 = stub(broken)
    received.clear()
    client = ChatClient(server2.base_url, retry=FAST)
    with pytest.raises(EndpointError, match="cut off"):
        asyncio.run(main())
    assert received == ["半句"]


def test_options_are_validated():
    with pytest.raises(ValueError, match="concurrency must be 1–256"):
        ChatClient("http://127.0.0.1:1/v1", concurrency=257)
    with pytest.raises(ValueError, match="not an http"):
        ChatClient("127.0.0.1:8000")
    assert normalize_base_url("http://h:8000/") == "http://h:8000/v1"
    assert normalize_base_url("http://h:8000/v1/") == "http://h:8000/v1"
    assert normalize_base_url("https://h/v1/chat/completions") == "https://h/v1"
