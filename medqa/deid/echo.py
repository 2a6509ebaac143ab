"""A second value written as a correction of an identifier already found: ``生日是1985年12月30日，
系统里写成了1985年11月30日``, ``住院号 2019008812 … 变成 ZY0110-88745``, ``写成了“刘洋”，应该是
“刘阳”``, ``我的微信是 a_b 不对，那是你的，我的是 c-d``.

People correcting a record name the wrong and the right value one after the other; the second
has no keyword of its own, only a correction word (写成, 改成, 变成, 应该是, 我的是 …) and the shape
of the first. It takes the first one's kind.
"""

from __future__ import annotations

import re

from medqa.deid.names import FULL_NAME, SURNAME
from medqa.deid.rules import DATE_SHAPES

# Words that say the value after them replaces (or is mistaken for) the one before.
_CORRECTION = (
    r"(?:写成了?|写的是|写错成|登记成了?|登记的是|录成了?|录入成了?|录的是|打成了?|弄成了?|填成了?|"
    r"填的是|印成了?|印的是|改成了?|改为|换成了?|变成了?|更正为|更正成|更新为|错成了?|应该是|"
    r"应为|正确的是|其实是|实际是|新的是|新号是|现在是|我的是|我的才是|真的是|农历|阴历|阳历|公历)"
)
_LEAD = r"[ :：是为“\"「『（(]{0,3}"
_END_OF_NAME = r"(?=[”\"」』）)\s，。,.！!？?、；;]|$|才|吧|吗|呢|啊|了)"
# kind -> the shape its value has
_SHAPES: dict[str, str] = {
    "date_of_birth": rf"(?:{DATE_SHAPES})(?![0-9])",
    "person_name": rf"(?:{FULL_NAME}|[小老]{SURNAME}){_END_OF_NAME}",
    "doctor_name": rf"(?:{FULL_NAME}){_END_OF_NAME}",
}
_NUMBER_LIKE = (
    r"(?<![0-9A-Za-z])(?=[A-Za-z0-9\-]*\d{3})[A-Za-z0-9](?:[ \-]?[A-Za-z0-9]){4,28}(?![0-9A-Za-z])"
)
_ID_LIKE = r"(?<![0-9A-Za-z])[A-Za-z0-9][A-Za-z0-9_\-]{4,29}(?![0-9A-Za-z_\-@])"
for _kind in ("medical_record", "id_card", "passport", "bank_card", "phone", "qq"):
    _SHAPES[_kind] = _NUMBER_LIKE
for _kind in ("wechat", "social_handle", "email"):
    _SHAPES[_kind] = (
        _ID_LIKE if _kind != "email" else r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-.]+\.[A-Za-z]{2,10}"
    )

_SECOND = {
    kind: re.compile(rf"[^\n]{{0,30}}?{_CORRECTION}{_LEAD}(?P<v>{shape})")
    for kind, shape in _SHAPES.items()
}
_ANY_CORRECTION = re.compile(_CORRECTION)


def corrections(view: str, spans: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """(kind, start, end) of the values written as corrections of ``spans`` (kind, start, end)
    in ``view`` (the folded text: same length as the text); none that overlap ``spans``."""
    if not spans or not _ANY_CORRECTION.search(view):
        return []
    taken = [(a, b) for _, a, b in spans]
    found = []
    for kind, _, end in spans:
        pattern = _SECOND.get(kind)
        match = pattern.match(view, end) if pattern else None
        if match is None:
            continue
        a, b = match.span("v")
        if not any(a < tb and ta < b for ta, tb in taken):
            found.append((kind, a, b))
            taken.append((a, b))
    return found
