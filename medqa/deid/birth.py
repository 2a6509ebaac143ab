"""A date written beside an ID card number that encodes it is a date of birth, whatever words
stand around it: ``向丽，1996年6月29日，身份证420528199606292240`` (digits 7–14 of a mainland
ID card are the holder's birth date)."""

from __future__ import annotations

import re

from medqa.deid.rules import DATE_SHAPES

_DATE = re.compile(rf"(?<![0-9])(?:{DATE_SHAPES})(?![0-9])")
_NUMBERS = re.compile(r"\d+")


def _ymd(value: str) -> tuple[int, int, int] | None:
    """(year, month, day) of a written date: 1996年6月29日, 1996-06-29, 19960629; else None."""
    numbers = _NUMBERS.findall(value)
    if len(numbers) == 1 and len(numbers[0]) == 8:
        digits = numbers[0]
        numbers = [digits[:4], digits[4:6], digits[6:]]
    if len(numbers) != 3 or len(numbers[0]) != 4:
        return None
    return int(numbers[0]), int(numbers[1]), int(numbers[2])


def births_from_ids(view: str, spans: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """("date_of_birth", start, end) of each date in ``view`` (the folded text) that an ID card
    among ``spans`` (kind, start, end) encodes, none overlapping ``spans``."""
    births = set()
    for kind, start, end in spans:
        if kind == "id_card":
            digits = re.sub(r"[^0-9Xx]", "", view[start:end])
            if len(digits) == 18:
                births.add((int(digits[6:10]), int(digits[10:12]), int(digits[12:14])))
    if not births:
        return []
    found = []
    for match in _DATE.finditer(view):
        a, b = match.span()
        if _ymd(match.group()) in births and not any(a < e and s < b for _, s, e in spans):
            found.append(("date_of_birth", a, b))
    return found
