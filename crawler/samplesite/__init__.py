"""The bundled offline sample site: three Chinese medical Q&A sites' page structures, authored
questions, and the fault cases a polite crawler must handle. ``serve(port)`` starts it."""

from crawler.samplesite.server import SampleSite, serve

__all__ = ["SampleSite", "serve"]
