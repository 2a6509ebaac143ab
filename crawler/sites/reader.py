"""Strict, typed access to a profile's YAML mappings.

Every mapping declares the keys it accepts: an unknown key (``tiem:``, ``asked_ON:``) fails with
the file, the key path and the closest known key. XPaths compile with the EXSLT regular-expression
namespace bound to ``re`` (``//a[re:test(@href, '/list/\\w+/$')]``); regexes compile too, so a
typo fails when the profile loads, not in the middle of a crawl.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from lxml import etree

XPATH_NAMESPACES = {"re": "http://exslt.org/regular-expressions"}


class ProfileError(ValueError):
    """A site profile is missing a key, has an unknown one, or an invalid XPath/regex; the message
    names the file and the key."""


def did_you_mean(word: str, known: list[str] | tuple[str, ...] | set[str]) -> str:
    """``" (did you mean 'time'?)"`` for the closest of ``known``, or ``""``."""
    close = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.5)
    if not close:
        close = [k for k in sorted(known) if k.lower() == word.lower()]
    return f" (did you mean {close[0]!r}?)" if close else ""


def compile_xpath(expr: str) -> etree.XPath:
    """An XPath with the ``re`` (EXSLT) namespace; raises ``etree.XPathSyntaxError``."""
    return etree.XPath(expr, namespaces=XPATH_NAMESPACES)


class Reader:
    """One YAML mapping of a profile: typed getters whose errors name the file and key path."""

    def __init__(
        self, source: str, data: Any, where: str = "", allowed: tuple[str, ...] | None = None
    ) -> None:
        if not isinstance(data, dict):
            raise ProfileError(f"{source}: {where or 'top level'} must be a mapping, got {data!r}")
        self.source, self.data, self.where = source, data, where
        if allowed is not None:
            self.only(allowed)

    def key(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str, message: str) -> ProfileError:
        return ProfileError(f"{self.source}: {self.key(key)}: {message}")

    def only(self, allowed: tuple[str, ...]) -> None:
        """Reject keys outside ``allowed`` with a did-you-mean."""
        for key in self.data:
            if key not in allowed:
                hint = did_you_mean(str(key), allowed)
                raise self.fail(
                    str(key), f"unknown key{hint}; allowed here: {', '.join(sorted(allowed))}"
                )

    def get(self, key: str, default: Any = ..., kind: type | tuple = object) -> Any:
        if key not in self.data:
            if default is ...:
                raise self.fail(key, "required key is missing")
            return default
        value = self.data[key]
        if not isinstance(value, kind):
            names = (
                " or ".join(k.__name__ for k in kind) if isinstance(kind, tuple) else kind.__name__
            )
            raise self.fail(key, f"expected {names}, got {value!r}")
        return value

    def sub(self, key: str, allowed: tuple[str, ...] | None = None) -> Reader:
        return Reader(self.source, self.get(key, kind=dict), self.key(key), allowed)

    def strings(self, key: str, default: Any = ...) -> tuple[str, ...]:
        """A string or a list of strings, as a tuple."""
        value = self.get(key, default, kind=(str, list, type(None)))
        if value is None:
            return ()
        items = [value] if isinstance(value, str) else value
        for i, item in enumerate(items):
            if not isinstance(item, str) or not item.strip():
                raise self.fail(f"{key}[{i}]", f"expected a non-empty string, got {item!r}")
        return tuple(items)

    def xpaths(self, key: str, required: bool = True) -> tuple[tuple[etree.XPath, ...], tuple]:
        """One XPath or a list of alternatives: (compiled, source strings)."""
        sources = self.strings(key, ... if required else None)
        compiled = []
        for i, expr in enumerate(sources):
            try:
                compiled.append(compile_xpath(expr))
            except etree.XPathSyntaxError as exc:
                where = key if len(sources) == 1 else f"{key}[{i}]"
                raise self.fail(where, f"invalid XPath {expr!r} ({exc})") from exc
        return tuple(compiled), sources

    def regexes(self, key: str, required: bool = True) -> tuple[re.Pattern, ...]:
        patterns = self.strings(key, ... if required else None)
        compiled = []
        for i, pattern in enumerate(patterns):
            try:
                compiled.append(re.compile(pattern))
            except re.error as exc:
                where = key if len(patterns) == 1 else f"{key}[{i}]"
                raise self.fail(where, f"invalid regex {pattern!r} ({exc})") from exc
        return tuple(compiled)
