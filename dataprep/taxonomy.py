"""The canonical department taxonomy (``taxonomy.yaml``): label → department path and code."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DEFAULT_TAXONOMY = Path(__file__).with_name("taxonomy.yaml")


@dataclass
class Taxonomy:
    """Department paths (``("内科", "心血管内科")``) with integer codes, aliases, English names."""

    paths: list[tuple[str, ...]]
    codes: dict[str, int]  # canonical name or alias -> code
    english: dict[str, str]
    keywords: dict[int, list[str]] = field(default_factory=dict)  # top-level code -> words
    keyword_weight: dict[int, float] = field(default_factory=dict)  # top-level code -> weight
    population: set[int] = field(default_factory=set)  # top levels named by who, not what organ
    age_below: dict[int, int] = field(default_factory=dict)  # top-level code -> stated age limit
    _cache: dict[tuple, int] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Taxonomy:
        """Parse a taxonomy YAML (the bundled one by default); bad structure names the key."""
        path = Path(path) if path else DEFAULT_TAXONOMY
        return _load(str(path.resolve()))

    def code(self, labels: list[str]) -> int:
        """The code of the most specific label that maps (a sub-department under an explicitly
        given other top-level department yields that top level); -1 if none maps."""
        key = tuple(labels)
        if key not in self._cache:
            self._cache[key] = self._code(labels)
        return self._cache[key]

    def _code(self, labels: list[str]) -> int:
        labels = [part for label in labels for part in label.split("/")]  # "内科/心血管内科"
        found = [self.codes[label.strip()] for label in labels if label.strip() in self.codes]
        if not found:
            return -1
        best = max(found, key=lambda c: (len(self.paths[c]), found.index(c)))
        tops = {self.paths[c][0] for c in found if len(self.paths[c]) == 1}
        if tops and self.paths[best][0] not in tops:
            return self.codes[sorted(tops)[0]]
        return best

    def top(self, code: int) -> int:
        """The code of the top-level department of ``code``."""
        return self.codes[self.paths[code][0]]

    def name(self, code: int) -> str:
        """``"内科/心血管内科"`` style name."""
        return "/".join(self.paths[code])


@functools.cache
def _load(path: str) -> Taxonomy:
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict) or not data:
        raise ValueError(f"{path}: a taxonomy is a mapping of top-level departments")
    paths: list[tuple[str, ...]] = []
    codes: dict[str, int] = {}
    english: dict[str, str] = {}
    keywords: dict[int, list[str]] = {}
    weights: dict[int, float] = {}
    population: set[int] = set()
    ages: dict[int, int] = {}
    for top, spec in data.items():
        _add(paths, codes, english, (top,), spec, path)
        words = (spec or {}).get("keywords") or []
        if not isinstance(words, list):
            raise ValueError(f"{path}: {top}.keywords must be a list of words")
        bad = next((w for w in words if not str(w).strip() or "\n" in str(w)), None)
        if bad is not None:
            raise ValueError(f"{path}: {top}.keywords: {str(bad)!r} is not a one-line word")
        keywords[codes[top]] = [str(w) for w in words]
        weights[codes[top]] = float((spec or {}).get("keyword_weight", 1.0))
        if (spec or {}).get("population"):
            population.add(codes[top])
        if (spec or {}).get("age_below") is not None:
            age = spec["age_below"]
            if not isinstance(age, int) or isinstance(age, bool) or age <= 0:
                raise ValueError(
                    f"{path}: {top}.age_below must be a positive whole number of years"
                )
            ages[codes[top]] = age
        subs = (spec or {}).get("subs") or {}
        if not isinstance(subs, dict):
            raise ValueError(f"{path}: {top}.subs must be a mapping")
        for sub, sub_spec in subs.items():
            _add(paths, codes, english, (top, sub), sub_spec, path)
    return Taxonomy(paths, codes, english, keywords, weights, population, ages)


def _add(paths, codes, english, dept: tuple[str, ...], spec, source: str) -> None:
    spec = spec or {}
    key = ".".join(dept)
    if not isinstance(spec, dict):
        raise ValueError(f"{source}: {key} must be a mapping (en, aliases, subs, keywords)")
    known = {"en", "aliases", "subs", "keywords", "keyword_weight", "population", "age_below"}
    unknown = set(spec) - known
    if unknown:
        raise ValueError(f"{source}: {key}: unknown key {sorted(unknown)[0]!r}")
    code = len(paths)
    paths.append(dept)
    english[dept[-1]] = str(spec.get("en") or dept[-1])
    for label in [dept[-1], *(spec.get("aliases") or [])]:
        if str(label) in codes and paths[codes[str(label)]] != dept:
            raise ValueError(f"{source}: label {label!r} is used twice ({key})")
        codes[str(label)] = code
