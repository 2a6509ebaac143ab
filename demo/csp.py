"""The demo page's Content-Security-Policy: nothing loads from another origin, no form submits.

Gradio's page needs inline scripts and styles of its own, so those stay allowed; everything else
is same-origin (``'self'``), images also from ``data:``/``blob:`` (Gradio's icons), and
``form-action 'none'``, ``frame-src 'none'``, ``object-src 'none'``, ``base-uri 'none'`` close what
phishing markup would need. This is the second wall behind ``demo.markup``'s allow-list.
"""

from __future__ import annotations

from starlette.middleware import Middleware

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "media-src 'self' data: blob:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "frame-src 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = [
    (b"content-security-policy", POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class ContentSecurityPolicy:
    """ASGI middleware: every HTTP response carries ``POLICY`` and a few hardening headers."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in HEADERS if name not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_policy)


def app_kwargs() -> dict:
    """``Blocks.launch(app_kwargs=…)`` that installs the policy on Gradio's FastAPI app."""
    return {"middleware": [Middleware(ContentSecurityPolicy)]}
