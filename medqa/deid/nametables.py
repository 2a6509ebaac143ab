"""The tables behind the name model (:mod:`.namemodel`): how much more often a character is
written in a given name than in running text, and the words that start like a name.

Both are derived from jieba 0.42.1's ``dict.txt`` (MIT licence, © Sun Junyi; the word list,
word frequencies and part-of-speech tags of jieba's default dictionary); the derived table,
``name_tables.txt`` beside this file, is what ships. Rebuild it with::

    python -m medqa.deid.nametables PATH/TO/jieba/dict.txt

- **Given-name characters**: every entry tagged ``nr`` (person) of two or three characters
  that starts with one of our single surnames, or of four starting with a double surname,
  gives its given-name characters; the score of a character is the log ratio of its share of
  those given names to its share of all dictionary text (each word weighted by its frequency),
  less the log ratio of its share of transliterated names (entries tagged nr or nrt of four
  characters or more that start with no double surname) to its share of given names where
  that is positive, times ten; kept for characters seen at least three times in names.
- **Words**: entries that start with a surname character (or with 老 / 小 / 阿, which start
  nicknames): any two-character entry of frequency >= 10, whatever its tag (jieba tags many
  words nr: 毛巾, 胡椒, 卫星), and three-character ones (four after a double surname) not
  tagged nr, of frequency >= 3. A candidate name that starts with one of these words is that
  word, not a name (longer words cannot matter: a name ends at a boundary).
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from functools import lru_cache
from pathlib import Path

from medqa.deid.names import DOUBLE_SURNAMES, NOT_IN_GIVEN_NAME, SINGLE_SURNAMES
from medqa.io import atomic_write

TABLE_PATH = Path(__file__).with_name("name_tables.txt")
PLACES_PATH = Path(__file__).with_name("place_names.txt")
# administrative suffixes a place is written without: 常德(市), 尤溪(县), 鄂温克族(自治旗)
_PLACE_SUFFIXES = (
    "各族自治县",
    "自治县",
    "自治州",
    "自治旗",
    "林区",
    "特区",
    "新区",
    "地区",
    "市",
    "县",
    "区",
    "旗",
    "盟",
)
# Surnames the cue rules leave out because they are everyday words before a title (于, 应,
# 向): the model sees them only between two boundaries, where the word check stands guard.
MODEL_ONLY_SURNAMES = "于应向"
NICKNAME_LEADS = "老小阿"
MIN_NAME_COUNT = 3
MIN_SHORT_WORD_FREQ = 10


def build(dict_path: Path) -> tuple[dict[str, int], list[str]]:
    """(character -> score x10, words) from jieba's ``dict.txt`` (see the module doc)."""
    singles = set(SINGLE_SURNAMES + MODEL_ONLY_SURNAMES)
    doubles = set(DOUBLE_SURNAMES.split("|"))
    leads = singles | set(NICKNAME_LEADS)
    text_chars: Counter[str] = Counter()
    given_chars: Counter[str] = Counter()
    foreign_chars: Counter[str] = Counter()
    words: set[str] = set()
    with open(dict_path, encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            parts = line.split()
            if len(parts) != 3 or not parts[1].isdigit():
                raise ValueError(f"{dict_path}:{line_no}: not 'word frequency tag': {line!r}")
            word, freq, tag = parts[0], int(parts[1]), parts[2]
            for char in word:
                text_chars[char] += freq
            if tag in ("nr", "nrt") and len(word) >= 4 and word[:2] not in doubles:
                foreign_chars.update(word)  # transliterated names: 施瓦辛格, 阿诺德
            if tag == "nr":
                if len(word) in (2, 3) and word[0] in singles:
                    given_chars.update(word[1:])
                elif len(word) == 4 and word[:2] in doubles:
                    given_chars.update(word[2:])
            starts_like_name = word[0] in leads or word[:2] in doubles
            if starts_like_name and (
                (len(word) == 2 and freq >= MIN_SHORT_WORD_FREQ)
                or (
                    tag != "nr"
                    and len(word) in (2, 3, 4 if word[:2] in doubles else 3)
                    and freq >= 3
                )
            ):
                words.add(word)
    text_total, given_total = sum(text_chars.values()), sum(given_chars.values())
    foreign_total = sum(foreign_chars.values())

    def score(char: str, n: int) -> int:
        in_names = math.log((n / given_total) / ((text_chars[char] + 1) / text_total))
        # a character of transliterations more than of Chinese given names (斯, 卡, 特) loses
        # what it gains from them: brand-name drugs are transliterations too (斯达舒, 贺普丁)
        foreign = math.log(((foreign_chars[char] + 1) / foreign_total) / ((n + 1) / given_total))
        return round(10 * (in_names - max(0.0, foreign)))

    scores = {
        char: score(char, n)
        for char, n in given_chars.items()
        if n >= MIN_NAME_COUNT and char not in NOT_IN_GIVEN_NAME
    }
    return scores, sorted(words)


def write(scores: dict[str, int], words: list[str], path: Path = TABLE_PATH) -> None:
    """Write the table file atomically (see :func:`load` for its format)."""
    lines = [
        "# Derived from jieba 0.42.1 dict.txt (MIT licence, (c) Sun Junyi) by",
        "# python -m medqa.deid.nametables; see medqa/deid/nametables.py. Do not edit by hand.",
        "[given]",
        *(f"{char} {score}" for char, score in sorted(scores.items())),
        "[words]",
        *words,
    ]
    _write_lines(lines, path)


@lru_cache(maxsize=1)
def load(path: Path = TABLE_PATH) -> tuple[dict[str, float], frozenset[str]]:
    """(character -> log-ratio score, words) from the shipped table."""
    scores: dict[str, float] = {}
    words: set[str] = set()
    section = None
    with open(path, encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            if line in ("[given]", "[words]"):
                section = line
            elif section == "[given]":
                char, _, value = line.partition(" ")
                try:
                    scores[char] = int(value) / 10
                except ValueError:
                    raise ValueError(f"{path}:{line_no}: not 'character score': {line!r}") from None
            elif section == "[words]":
                words.add(line)
            else:
                raise ValueError(f"{path}:{line_no}: a line before any [section]: {line!r}")
    if not scores or not words:
        raise ValueError(f"{path}: the [given] or [words] section is empty")
    return scores, frozenset(words)


def build_places(csv_paths: list[Path]) -> list[str]:
    """Prefecture and county names without their suffix, from the national division lists
    (``cities.csv``, ``areas.csv``: code,name,...), those a name model could take for a name:
    two or three characters, the first a surname or nickname character."""
    leads = set(SINGLE_SURNAMES + MODEL_ONLY_SURNAMES + NICKNAME_LEADS)
    places = set()
    for path in csv_paths:
        with open(path, encoding="utf-8") as handle:
            for line_no, line in enumerate(handle, 1):
                parts = line.rstrip("\n").split(",")
                if line_no == 1:
                    continue
                if len(parts) < 2:
                    raise ValueError(f"{path}:{line_no}: not 'code,name,...': {line!r}")
                name = parts[1].strip('"')
                for suffix in _PLACE_SUFFIXES:
                    if name.endswith(suffix) and len(name) > len(suffix) + 1:
                        name = name[: -len(suffix)]
                        break
                # and the peoples of an autonomous county: 景宁(畲族自治县), 长阳(土家族自治县),
                # whose names are two characters
                if name.endswith("族") and len(name) >= 4:
                    name = name[:2]
                if 2 <= len(name) <= 3 and name[0] in leads:
                    places.add(name)
    return sorted(places)


def write_places(places: list[str], path: Path = PLACES_PATH) -> None:
    lines = [
        "# Prefecture and county names (suffix dropped) that start like a person's name, from the",
        "# national administrative division lists as published in modood/Administrative-divisions-",
        "# of-China @57a0aa9 (dist/cities.csv, dist/areas.csv; WTFPL; data of the National Bureau",
        "# of Statistics). Built by python -m medqa.deid.nametables --places CSV...",
        *places,
    ]
    _write_lines(lines, path)


def _write_lines(lines: list[str], path: Path) -> None:
    with atomic_write(path) as handle:
        handle.write("\n".join(lines) + "\n")


@lru_cache(maxsize=1)
def load_places(path: Path = PLACES_PATH) -> frozenset[str]:
    """The place names that start like a name (see :func:`build_places`)."""
    with open(path, encoding="utf-8") as handle:
        return frozenset(line.strip() for line in handle if line.strip() and line[0] != "#")


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "--places":
        places = build_places([Path(a) for a in argv[1:]])
        write_places(places)
        print(f"{PLACES_PATH}: {len(places)} place names")
        return 0
    if len(argv) != 1:
        print(
            "usage: python -m medqa.deid.nametables PATH/TO/jieba/dict.txt\n"
            "       python -m medqa.deid.nametables --places cities.csv areas.csv",
            file=sys.stderr,
        )
        return 2
    scores, words = build(Path(argv[0]))
    write(scores, words)
    print(f"{TABLE_PATH}: {len(scores)} given-name characters, {len(words)} words")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
