"""LLaMA-Factory's OpenAI-compatible API with the doors it leaves open closed.

``llamafactory-cli api`` answers cross-origin requests from any origin with credentials
(``CORSMiddleware(allow_origins=["*"], allow_credentials=True)``), serves ``/docs`` and
``/openapi.json`` without the key, and accepts a keyless server on any interface. Any web page the
operator opens could then drive a loopback server. ``medqa serve`` runs this module instead::

    API_HOST=127.0.0.1 API_PORT=8000 API_KEY=… python -m medqa.serve_app CONFIG [key=value …]

It builds the same app (``llamafactory.api.app.create_app`` on a ``ChatModel``), then

* removes the wildcard CORS middleware; only origins named in ``MEDQA_ALLOW_ORIGINS``
  (comma-separated, from ``--allow-origin``) get CORS headers, never with credentials;
* removes ``/docs``, ``/redoc`` and ``/openapi.json``;
* on a loopback address accepts only loopback ``Host`` headers (no DNS rebinding);
* answers a POST without ``Content-Type: application/json`` with 415, so the "simple" requests a
  page may send cross-origin without asking (forms, ``text/plain``) never reach the model;
* refuses to start without ``API_KEY`` unless ``MEDQA_ALLOW_NO_KEY=1`` and the address is loopback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
DOC_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json")


class KeyRequired(RuntimeError):
    """A keyless server was asked for where one is not allowed."""


def check_key_policy(host: str, api_key: str | None, allow_no_key: bool) -> None:
    """Raise ``KeyRequired`` unless a key is set, or a keyless server is explicitly allowed on
    loopback."""
    if api_key:
        return
    if not allow_no_key:
        raise KeyRequired(
            "API_KEY is not set: export API_KEY=<secret> (clients send it as 'Authorization: "
            "Bearer <secret>'), or pass --allow-no-key for a loopback-only server without a key"
        )
    if host not in LOOPBACK_HOSTS:
        raise KeyRequired(f"--allow-no-key is for loopback only; binding {host} needs API_KEY")


class JsonPostsOnly:
    """ASGI middleware: a POST whose body is not declared JSON gets 415 before any route runs."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            headers = dict(scope.get("headers") or [])
            content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
            if content_type != b"application/json":
                from starlette.responses import JSONResponse

                response = JSONResponse(
                    {"detail": "Content-Type must be application/json"}, status_code=415
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def harden(app, allow_origins: Iterable[str] = (), host: str = "127.0.0.1"):
    """Close ``app``'s (a LLaMA-Factory API FastAPI app, not yet started) open doors in place."""
    from fastapi.middleware.cors import CORSMiddleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    app.user_middleware = [m for m in app.user_middleware if m.cls is not CORSMiddleware]
    app.router.routes = [r for r in app.router.routes if getattr(r, "path", None) not in DOC_PATHS]
    app.openapi_url = app.docs_url = app.redoc_url = None
    app.add_middleware(JsonPostsOnly)
    origins = [origin.rstrip("/") for origin in allow_origins if origin]
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_credentials=False,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    if host in LOOPBACK_HOSTS:
        app.add_middleware(
            TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost", "::1", "[::1]"]
        )
    return app


def main(argv: list[str]) -> int:
    """Serve ``argv`` = ``[CONFIG, key=value, …]`` with the environment described above."""
    host = os.environ.get("API_HOST", "127.0.0.1")
    port = int(os.environ.get("API_PORT", "8000"))
    origins = [o.strip() for o in os.environ.get("MEDQA_ALLOW_ORIGINS", "").split(",")]
    try:
        check_key_policy(
            host, os.environ.get("API_KEY"), os.environ.get("MEDQA_ALLOW_NO_KEY") == "1"
        )
    except KeyRequired as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    import uvicorn
    from llamafactory.api.app import create_app
    from llamafactory.chat import ChatModel

    sys.argv = ["llamafactory-cli", *argv]  # LLaMA-Factory reads CONFIG key=value from argv
    app = harden(create_app(ChatModel()), origins, host)
    print(f"Uvicorn serving http://{host}:{port}/v1 (docs off, CORS: {origins or 'none'})")
    uvicorn.run(app, host=host, port=port)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
