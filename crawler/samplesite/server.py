"""The sample site's HTTP server: every page in memory, fault cases played per request.

One server holds the three sample sites under path prefixes (``/xywy``, ``/120ask``, ``/39``) and
one ``/robots.txt`` for the host. It records every request (:attr:`SampleSite.hits`) so tests can
prove what the crawler fetched, and can play a ban (403s or login redirects after N question pages
of a site) for circuit-breaker tests.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from crawler.samplesite import html_39, html_120ask, html_xywy
from crawler.samplesite.common import Page
from crawler.samplesite.content import Corpus, build_corpus

RENDERERS = {"xywy": html_xywy, "120ask": html_120ask, "39": html_39}
BAN_MODES = ("403", "login")


@dataclass(frozen=True)
class Hit:
    """One request the server answered."""

    path: str
    status: int
    at: float  # time.monotonic()
    user_agent: str


def build_pages(corpus: Corpus, crawl_delay: float) -> dict[str, Page]:
    """Every page of the three sites plus ``/`` and ``/robots.txt``."""
    pages: dict[str, Page] = {}
    disallow: list[str] = []
    for module in RENDERERS.values():
        site_pages, rules = module.build(corpus)
        pages.update(site_pages)
        disallow.extend(rules)
    robots = ["# medqa-factory sample site", "User-agent: *"]
    if crawl_delay:
        robots.append(f"Crawl-delay: {crawl_delay:g}")
    robots += [f"Disallow: {path}" for path in disallow]
    pages["/robots.txt"] = Page(("\n".join(robots) + "\n").encode(), "text/plain; charset=utf-8")
    links = "".join(f'<li><a href="/{site}/">{site}</a></li>' for site in RENDERERS)
    pages["/"] = Page(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>medqa sample site</title></head>"
        f"<body><h1>medqa-factory sample site</h1><ul>{links}</ul></body></html>".encode()
    )
    return pages


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes: no 40 ms stalls
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        path = urlsplit(self.path).path
        page = self.server.site.respond(path)
        status = page.status
        if page.behaviour == "retry_503" and self.server.site.count_attempt(path) <= 2:
            status = 503
            page = Page(b"<h1>503 Service Unavailable</h1>", "text/html", 503)
        self.server.site.record(path, status, self.headers.get("User-Agent", ""))
        self.send_response(status)
        self.send_header("Content-Type", page.content_type)
        if page.location:
            self.send_header("Location", page.location)
        if status == 503:
            self.send_header("Retry-After", "1")
        if page.behaviour == "dataloss":
            self.send_header("Content-Length", str(len(page.body) + 4096))
            self.end_headers()
            self.wfile.write(page.body[: len(page.body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_header("Content-Length", str(len(page.body)))
        self.end_headers()
        self.wfile.write(page.body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (http.server API)
        if self.server.site.verbose:
            super().log_message(format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # socketserver's 5 drops bursts of connects: 1 s SYN retries
    site: SampleSite

    def handle_error(self, request, client_address) -> None:
        """A crawler killed mid-request resets its connections: not worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class SampleSite:
    """A running sample site. Use :func:`serve` (or ``with SampleSite(...) as site``)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        crawl_delay: float = 1.0,
        ban_after: int | None = None,
        ban_mode: str = "403",
        verbose: bool = False,
    ) -> None:
        if ban_mode not in BAN_MODES:
            raise ValueError(f"ban_mode must be one of {BAN_MODES}, got {ban_mode!r}")
        self.corpus = build_corpus()
        self.pages = build_pages(self.corpus, crawl_delay)
        self.crawl_delay = crawl_delay
        self.ban_after, self.ban_mode, self.verbose = ban_after, ban_mode, verbose
        self.hits: list[Hit] = []
        self._attempts: Counter[str] = Counter()
        self._detail_hits: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._httpd = _Server((host, port), _Handler)
        self._httpd.site = self
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """Base URL to pass as ``-a base_url=…`` (each site lives under ``/<site>``)."""
        return f"http://{self._httpd.server_address[0]}:{self.port}"

    def start(self) -> SampleSite:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def __enter__(self) -> SampleSite:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def respond(self, path: str) -> Page:
        site = path.split("/", 2)[1] if path.count("/") >= 2 else ""
        if self.ban_after is not None and "/question/" in path:
            with self._lock:
                self._detail_hits[site] += 1
                banned = self._detail_hits[site] > self.ban_after
            if banned:
                return self._ban_page(site, path)
        return self.pages.get(path) or Page(b"<h1>404 Not Found</h1>", "text/html", 404)

    def _ban_page(self, site: str, path: str) -> Page:
        if self.ban_mode == "login":
            return Page(b"", "text/html", 302, f"/{site}/passport/login.htm?from={path}")
        return Page(b"<h1>403 Forbidden</h1>", "text/html", 403)

    def count_attempt(self, path: str) -> int:
        with self._lock:
            self._attempts[path] += 1
            return self._attempts[path]

    def record(self, path: str, status: int, user_agent: str) -> None:
        with self._lock:
            self.hits.append(Hit(path, status, time.monotonic(), user_agent))

    def hit_counts(self) -> Counter[str]:
        """How many times each path was requested."""
        with self._lock:
            return Counter(hit.path for hit in self.hits)


def serve(port: int = 0, host: str = "127.0.0.1", **options) -> SampleSite:
    """Start the sample site in a background thread and return it (call ``.stop()``)."""
    return SampleSite(host=host, port=port, **options).start()
