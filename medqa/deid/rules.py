"""Patterns for the identifiers that are numbers, handles and links.

Every pattern runs on the folded view (:mod:`medqa.deid.fold`), so ``１３８``, ``一三八`` and
``①③⑧`` look like ``138`` and em-dashes like ``-``. A pattern's ``v`` group, where it has one, is
the value; the keyword before it (``微信：``, ``住院号``) stays in the text. A rule's ``check``
sees the value and may refuse it (a Luhn sum, a date inside an ID number).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Anchor:
    """Something every match of a rule lies near (a keyword, a run of digits): the rule is tried
    only from ``before`` characters ahead of an anchor to ``after`` characters past it, which
    keeps the engine fast on the long texts where most rules have nothing to find."""

    pattern: re.Pattern
    before: int
    after: int


@dataclass(frozen=True)
class Rule:
    """One pattern of one kind. Lower ``rank`` wins when two kinds claim the same characters."""

    kind: str
    pattern: re.Pattern
    rank: int
    check: Callable[[str, str, int], bool] | None = None  # (value, folded text, start) -> keep?
    anchor: Anchor | None = None  # None: the pattern scans the whole text


def anchored(rule: Rule, pattern: re.Pattern, before: int, after: int) -> Rule:
    """``rule`` tried only near the matches of ``pattern`` (see :class:`Anchor`)."""
    return replace(rule, anchor=Anchor(pattern, before, after))


def trie_pattern(words: Iterable[str]) -> str:
    """One regex for a list of words, shared prefixes factored out (医生(?:：|是|叫)…): re
    then tries one branch per character instead of every word, and still takes the longest."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = [re.escape(c) + build(child) for c, child in node.items() if c]
        if not branches:
            return ""
        group = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:
            return f"(?:{group})?"
        return group

    return build(trie)


# Anchors shared by several rules.
DIGIT_RUN = re.compile(r"\d(?:[ \-.‧·]?\d){4,}")  # five digits or more: phones, ids, cards
YEAR = re.compile(r"(?:19|20)\d\d")


_SEP = r"[ \-.‧·]?"  # one space, dash or dot between digits: 138 1234 5678, 138-1234-5678, 139‧2011‧8866
_NOT_ALNUM_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_ALNUM_AFTER = r"(?![0-9A-Za-z])"
_LINK = r"[ :=是为加搜索填写的：]{0,4}"  # between a keyword and its value: "号码是：", "加"
# Units that make an 11-digit number a count, not a phone: viral loads, cell counts, money.
_COUNT_UNIT = r"(?!\s*(?:copies|copy|拷贝|cps|IU|iu|U/|u/|/m|/L|/l|个|次|元|万|mg|ml|mL|g/))"


def _digits(n: int) -> str:
    """``n`` digits with an optional separator between each."""
    return rf"\d(?:{_SEP}\d){{{n - 1}}}"


def _only_digits(value: str) -> str:
    return re.sub(r"[^0-9Xx]", "", value)


def _luhn(number: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(number)):
        d = int(char)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _id_card_shape(value: str, folded: str, start: int) -> bool:
    """18 characters with a plausible region, birth date and a final digit or X."""
    digits = _only_digits(value)
    if len(digits) != 18 or not digits[:17].isdigit():
        return False
    year, month, day = int(digits[6:10]), int(digits[10:12]), int(digits[12:14])
    return digits[0] in "123456789" and 1900 <= year <= 2030 and 1 <= month <= 12 and 1 <= day <= 31


_BANK_WORDS = re.compile(
    r"银行|卡号|储蓄卡|信用卡|借记卡|银联|账号|帐号|转账|打款|汇款|工行|农行|建行|中行|招行"
)


def _bank_card(value: str, folded: str, start: int) -> bool:
    """16–19 digits that pass the Luhn check, or any such run after a bank keyword."""
    digits = _only_digits(value)
    if not 16 <= len(digits) <= 19 or not digits.isdigit():
        return False
    if _BANK_WORDS.search(folded, max(0, start - 16), start):
        return True
    return _luhn(digits) and not _id_card_shape(value, folded, start)


_PHONE_WORDS = r"(?:电话|手机|手机号|座机|固话|联系方式|联系电话|号码|热线|致电|拨打|打给|打|call|tel|TEL|Tel|分机)"

PHONE_RULES = (
    # mobile, optionally +86 / 0086
    Rule(
        "phone",
        re.compile(
            _NOT_ALNUM_BEFORE
            + r"(?:\((?:\+|00)?86\) ?|(?:\+|00)?86[ \-]?)?1"
            + _SEP
            + r"[3-9](?:"
            + _SEP
            + r"\d){9}"
            + _NOT_ALNUM_AFTER
            + _COUNT_UNIT
        ),
        30,
    ),
    # landline with area code: 0571-8723 6666, (010)12345678, +86 21 61234567, extension
    Rule(
        "phone",
        re.compile(
            r"(?<![0-9A-Za-z.\-/])(?:\(0[1-9]\d{1,2}\) ?|0[1-9]\d{1,2}[ \-]?|0[2-9]-(?=[2-9]\d{3}-\d{4}(?!\d))|\+86[ \-]?\(?\d{2,3}\)?[ \-]?)"
            r"[1-9](?:[ \-]?\d){6,7}(?:[ \-]?(?:转|ext\.?|分机|-)[ ]?\d{1,5})?"
            + _NOT_ALNUM_AFTER
            + r"(?![.\-/]\d)"
        ),
        31,
    ),
    # (852) 2632 1234, 00853 2888 1234
    Rule(
        "phone",
        re.compile(
            r"(?:\((?:\+|00)?(?:852|853|886)\)|(?<![0-9])00(?:852|853)) ?\d{4}[ \-]?\d{4}(?![0-9])"
        ),
        31,
    ),
    # service numbers 400/800
    Rule(
        "phone",
        re.compile(
            _NOT_ALNUM_BEFORE
            + r"[48]00[ \-]?\d{3}[ \-]?\d{4}(?: ?(?:转|分机|ext\.?) ?\d{1,5})?"
            + _NOT_ALNUM_AFTER
        ),
        31,
    ),
    # other countries: +60 12-381 7264, +1 (415) 555-0132
    Rule(
        "phone",
        re.compile(
            # (00 + a country code only with a separator after it: 0049 151 23456789)
            r"(?:\+(?!86)[1-9]\d{0,2}[ \-]?|(?<![0-9])00(?!86)[1-9]\d{0,2}[ \-])\(?\d{1,4}\)?"
            r"(?:[ \-]?\d{2,4}){2,3}" + _NOT_ALNUM_AFTER
        ),
        31,
    ),
    # a local number without area code, after a phone keyword
    Rule(
        "phone",
        re.compile(
            _PHONE_WORDS + r"[^\d\n]{0,6}?(?<![0-9A-Za-z])(?P<v>[2-9]\d{2,3}[ \-]?\d{4}"
            r"(?:[ \-]?(?:转|分机)[ ]?\d{1,5})?)(?![0-9A-Za-z.%])"
        ),
        32,
    ),
)

ID_RULES = (
    Rule(
        "id_card",
        re.compile(r"(?<![0-9])[1-9](?:[ \-.]{0,2}\d){16}[ \-.]{0,2}[\dXx]" + _NOT_ALNUM_AFTER),
        20,
        _id_card_shape,
    ),
    Rule(
        "bank_card",
        re.compile(_NOT_ALNUM_BEFORE + r"\d(?:[ \-]?\d){15,18}" + _NOT_ALNUM_AFTER),
        19,
        _bank_card,
    ),
    Rule(
        "passport",
        re.compile(
            r"(?:护照|通行证|台胞证|回乡证|港澳证|旅行证|证件号|パスポート|passport|Passport|PASSPORT)"
            r"(?: ?(?:号码|号|番号|No\.?|no\.?|number|Number))?[^0-9A-Za-z\n]{0,6}?"
            r"(?P<v>(?=(?:[A-Za-z]*\d){4})[A-Za-z0-9]{6,12}(?: \d{2}(?![0-9]))?)" + _NOT_ALNUM_AFTER
        ),
        18,
    ),
    Rule(
        "passport",
        re.compile(
            _NOT_ALNUM_BEFORE
            + r"(?<!准字)(?<!准字 )(?<!批号)(?<!批号 )(?<!批号：)(?<!文号)(?<!文号 )(?<!文号：)"  # a drug's approval or batch number: 国药准字H20051234, 批号 H20230815
            + r"(?:[EG] ?\d{4} ?\d{4}|[EGDSP][A-Z]\d{7}|[CHMK]\d{8,10}|[A-Z]\d{9})"
            + _NOT_ALNUM_AFTER
        ),
        21,
    ),
    # Hong Kong (A123456(7), AB123456(A)) and Macau (1234567(8)) identity cards: the bracketed
    # check digit is how people type them.
    Rule(
        "id_card",
        re.compile(_NOT_ALNUM_BEFORE + r"(?:[A-Z]{1,2} ?\d{6}|[1578]\d{6}) ?\( ?[0-9A] ?\)"),
        20,
    ),
)

_RECORD_WORDS = (
    r"(?:住院病历号|住院号|保单号|保险单号|保单编号|保险卡号|理赔号|理赔编号|报案号|门诊卡号|门诊卡|诊疗卡号|诊疗卡|病案编号|门诊号|病案号|病历号|病历编号|就诊卡号|就诊号|就诊卡|登记号|检查号|"
    r"医保卡号|医保号|医保卡|医保账号|社保卡号|社保号|社保卡|社保账号|医疗卡号|健康卡号|居民健康卡|"
    r"ID号|患者ID|病人ID|门诊ID|住院ID|就诊ID|申请单号|影像号|放射号|病理号|报告单号|"
    r"档案号|患者编号|病人编号|体检编号|体检号|预约号|社会保障卡号|保障卡号|参保号|医保编号|住院编号|"
    r"门诊病历号|检验号|住院卡号|透析号|胃镜号|肠镜号|检查编号|体检报告编号|住院流水号|门诊流水号|"
    r"个人编号|入院号|CT号|MR号|MRI号|PET号|放疗号|化疗号|检查单号|化验单号|检验单号|影像编号|超声号)"
)
RECORD_RULES = (
    Rule(
        "medical_record",
        re.compile(
            _RECORD_WORDS
            + r"(?:码)?"
            + r"(?:(?:(?!电话|手机|微信|QQ|qq)[^0-9A-Za-z\n。]){0,12}?(?:号码|卡号|编号)|好像|应该|大概|可能"
            r"|(?:(?!电话|手机|微信|QQ|qq|是多少)[^0-9A-Za-z\n。，,；;！!？?]){1,8}?)?"
            + _LINK
            + r"(?:(?:No|NO|no)\.? ?|#)?"  # 住院号 No.0034729
            + r"(?P<v>(?=[A-Za-z0-9\- ]*\d{3})[A-Za-z0-9](?:[ \-]?[A-Za-z0-9]){3,28})"
            + _NOT_ALNUM_AFTER
        ),
        10,
    ),
    # the number first, its name after: 编号 TJ20231115-00382 是体检号
    Rule(
        "medical_record",
        re.compile(
            r"(?<![0-9A-Za-z\-])(?P<v>(?=[A-Za-z0-9\-]*\d{3})[A-Za-z0-9][A-Za-z0-9\-]{5,28})"
            r" ?(?:是|就是|为)(?:我的|我|的|他的|她的)?" + _RECORD_WORDS
        ),
        10,
    ),
    Rule(
        "bed",
        re.compile(
            r"(?:床号|床位号|病床号|床位)[ :是为]{0,3}(?P<v>[A-Za-z]?[0-9十一二三四五六七八九]{1,4}(?:号床|号|床)?)"
            # (not a quilt's measure: 睡一床, 盖两床, 买三床)
            r"|(?<![0-9十一二三四五六七八九睡盖铺买换晒叠几两])(?:第 ?|加 ?)?(?:(?<![A-Za-z])[A-Za-z])?"
            r"[0-9十一二三四五六七八九]{1,3} ?(?:号)?(?:病床|床位|床)(?:加床)?"
            r"(?![上下单双被垫头位棉边旁铺罩])"
            r"|加床 ?[0-9十]{1,3}号?"
        ),
        11,
    ),
    Rule(
        "licence_plate",
        re.compile(
            # (临: a temporary plate; 粤 A 1 2 3 4 5: a space between every character)
            r"临?[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼] ?[A-HJ-NP-Za-hj-np-z]"
            r"(?:(?: [A-HJ-NP-Za-hj-np-z0-9]){5,6}(?![0-9A-Za-z])|"
            # one separator may stand anywhere in the five or six characters: 沪AD 37591
            r"[ .\-]?(?:[A-HJ-NP-Za-hj-np-z0-9]{4,5}挂"
            r"|[A-HJ-NP-Za-hj-np-z0-9]{1,6}(?:[ .\-][A-HJ-NP-Za-hj-np-z0-9]{1,5})?(?![0-9A-Za-z])))"
        ),
        12,
        lambda value, folded, start: _plate_body(value),
    ),
)


def _plate_body(value: str) -> bool:
    """Five or six letters and digits after the province and the city letter (or a trailer's
    four or five and 挂)."""
    body = re.sub(r"[ .\-]", "", value.lstrip("临").replace(" ", "", 1)[2:])
    return body.endswith("挂") or 5 <= len(body) <= 6


_DAY = r"(?:[0-3]?\d|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])"
_MONTH = r"(?:[01]?\d|十[一二]?|[一二三四五六七八九])"
_DATE = (
    rf"(?:19|20)\d{{2}} ?[\-./年] ?{_MONTH} ?[\-./月] ?{_DAY} ?[日号]?"
    r"|(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
)
_EN_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
# March 2, 1985 / 2 March 1985 / 2nd Mar. 1985
_ENGLISH_DATE = (
    rf"{_EN_MONTH}\.? ?[0-3]?\d(?:st|nd|rd|th)?,? ?(?:19|20)\d\d"
    rf"|[0-3]?\d(?:st|nd|rd|th)? {_EN_MONTH}\.?,? (?:19|20)\d\d"
)
# a lunar date with its year: 1958年腊月初八, 农历1990年三月廿一
_LUNAR_DATE = rf"(?:19|20)\d{{2}}年 ?(?:{_MONTH}|腊|正|冬) ?月 ?(?:初[一二三四五六七八九十]|廿[一二三四五六七八九]?|{_DAY})"
# a year in Chinese numerals (九六年, 二〇二二年) or of the Minguo calendar (民国79年, read as folded)
_CN_YEAR = r"(?:[一二][〇零一二三四五六七八九]{3}|[〇零一二三四五六七八九]{2})年|民国 ?\d{1,3} ?年"
_CN_YEAR_DATE = rf"(?:{_CN_YEAR}) ?(?:{_MONTH}|腊|正|冬) ?月 ?(?:初[一二三四五六七八九十]|廿[一二三四五六七八九]?|{_DAY}) ?[日号]?"
# a year of birth with a month, a lunar date or a festival: 民国三十八年二月, 1960年庚子年腊月二十三,
# 2019年农历腊月初八, 1995年闰四月初六, 2003年元旦. A year alone (1979年生, 86年属虎) stays, as an
# age does: it identifies no one (the HIPAA Safe Harbor list keeps years too).
_ANY_YEAR = (
    r"(?:(?:19|20)\d{2}|\d{2}|[一二][〇零一二三四五六七八九]{3}|[〇零一二三四五六七八九]{2}"
    r"|民国 ?(?:\d{1,3}|[〇零一二三四五六七八九十百]{1,5}))年"
)
_GANZHI = r"[甲乙丙丁戊己庚辛壬癸][子丑寅卯辰巳午未申酉戌亥][鼠牛虎兔龙蛇马羊猴鸡狗猪]?年(?:的)?"
_ZODIAC = r"属[鼠牛虎兔龙蛇马羊猴鸡狗猪]"
_FESTIVAL = r"元旦|除夕|春节|中秋(?:节)?|七夕|端午(?:节)?|重阳(?:节)?|大年初[一二三四五六七八九十]"
_YEAR_DATE = (
    rf"{_ANY_YEAR}(?:{_GANZHI})?(?:农历|阴历)?闰? ?(?:(?:{_MONTH}|腊|正|冬) ?月 ?"
    rf"(?:初[一二三四五六七八九十]|廿[一二三四五六七八九]?|{_DAY})? ?[日号]?|{_FESTIVAL})"
)
# after an explicit birth keyword only: 90年7月3日, 1983.02
_CUED_DATE = (
    rf"\d{{2}}年 ?{_MONTH} ?月 ?{_DAY} ?[日号]?|(?:19|20)\d{{2}}[.\-/年] ?(?:0?[1-9]|1[0-2])月?"
    rf"|{_MONTH} ?月 ?{_DAY} ?[日号]|{_LUNAR_DATE}|(?:19|20)\d{{2}}年 ?(?:腊月|正月|冬月)"
    rf"|(?<=农历)(?:{_MONTH}|腊|正|冬) ?月 ?(?:初[一二三四五六七八九十]|{_DAY})"
    r"|\d{2}[.\-/](?:0[1-9]|1[0-2])[.\-/](?:0[1-9]|[12]\d|3[01])(?![0-9])"
    rf"|{_ENGLISH_DATE}"
    # 12/25/1990, 23/06/1991; 1965年十月; a lunar month and day: 三月初三
    r"|[0-3]?\d[./\-][0-3]?\d[./\-](?:19|20)\d\d(?![0-9])"
    rf"|(?:19|20)\d{{2}}年 ?{_MONTH}月|(?:{_MONTH}|腊|正|冬) ?月 ?初[一二三四五六七八九十]|{_CN_YEAR_DATE}"
)
DATE_SHAPES = f"{_DATE}|{_CUED_DATE}"  # every way a date of birth is written
DOB_RULES = (
    Rule(
        "date_of_birth",
        re.compile(
            r"(?:出生证明?上?(?:写的是|写着)|出生日期|出生年月日?|出生于|出生在|出生时间|生日|出生|生于|DOB|D\.O\.B\.?|birthday|Birthday|"
            r"[Dd]ate of [Bb]irth|[Bb]orn(?: on| in)?)"
            rf"(?:{_LINK}|[（(，, ]{{1,2}}(?:具体|实际|准确)?(?:日子|日期)?[是为:]?)(?:农历|阴历|阳历|公历|公元)?"
            rf"(?P<v>(?:{_DATE}|{_CUED_DATE}|{_YEAR_DATE})(?:[ ，,（(]{{1,3}}(?:具体|实际|准确)(?:日子|日期)?[是为:]?"
            rf"(?:{_DATE}))?(?:[，, ]{{1,2}}(?:19|20)\d{{2}}年(?=的|生|[，,。]|$))?)(?![0-9])"
        ),
        13,
    ),
    Rule(
        "date_of_birth",
        re.compile(
            rf"(?<![0-9])(?P<v>{_CN_YEAR_DATE}|{_LUNAR_DATE}|{_DATE}|{_YEAR_DATE}|\d{{2}}年 ?{_MONTH} ?月 ?{_DAY} ?[日号]?"
            rf"|(?:农历|阴历)(?:{_MONTH}|腊|正|冬) ?月 ?(?:初[一二三四五六七八九十]|廿[一二三四五六七八九]?|{_DAY})"
            r"|(?:19|20)\d{2}年 ?(?:0?[1-9]|1[0-2])月"
            rf"|{_ENGLISH_DATE}) ?"
            r"(?=(?:在[\u4e00-\u9fff]{1,6})?出生|生人|生的|的?生日|生(?:[，,.；;\s)]|$)|,? ?[Bb]orn)"
        ),
        13,
    ),
    # a year of birth beside the zodiac sign: 86年属虎, 属鸡，2005年的, 属马，1942年腊月生的
    Rule(
        "date_of_birth",
        re.compile(
            rf"(?<![0-9])(?P<v>{_YEAR_DATE}(?:生的|出生的?|生人)?[，, ]?{_ZODIAC})"
            rf"|(?P<w>{_ZODIAC}(?:的)?[，, ]?(?:19|20)\d{{2}}年(?:(?:{_MONTH}|腊|正|冬)月)?)(?=的|生|[，,。]|$)"
        ),
        13,
    ),
    # the year after a lunar birthday said before it: 农历七月初七出生的，2020年
    Rule(
        "date_of_birth",
        re.compile(
            r"(?<=出生的[，,])(?P<v>(?:19|20)\d{2}年)(?![0-9月])|(?<=生的[，,])(?P<w>(?:19|20)\d{2}年)(?![0-9月])"
        ),
        13,
    ),
)

# An account name with an underscore and a digit (dy_xiaoyang2024), not inside a link or an
# e-mail address (code names such as meta_info have no digit); only after a keyword in Chinese.
_UNDERSCORE_ID = (
    r"(?<![A-Za-z0-9_\-/.=?&#@])(?=[A-Za-z0-9_]*[0-9])[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]*[A-Za-z0-9]"
    r"(?![A-Za-z0-9_\-@]|\.[A-Za-z0-9])"
)
_SOCIAL_WORDS = (
    r"(?:微博|抖音|小红书|红书|红薯|B站|b站|哔哩哔哩|bilibili|知乎|快手|视频号|豆瓣|头条号|闲鱼号|闲鱼|贴吧|陌陌|简书|微视|西瓜视频|斗鱼|虎牙|"
    r"ins|Instagram|INS|推特|twitter|Twitter|tiktok|TikTok)"
)
# A run of seven or more enclosed numbers (①②③⑧⑤⑥⑦⑨⑨, ⑬⑧⑥ ⑦⑤②⑨) is a number spelt to dodge a
# filter, whatever the keyword: a list marker is one enclosed number, then words.
_ENCLOSED = "①-⑳⓪⓿❶-❿➀-➉➊-➓⑴-⒇⒈-⒛"
ENCLOSED_RUN = Rule(
    "phone",
    re.compile(f"[{_ENCLOSED}](?:[ \\-]?[{_ENCLOSED}]){{6,}}"),
    33,
    anchor=Anchor(re.compile(f"[{_ENCLOSED}]"), 0, 40),  # one class: re skips fast
)

_EMAIL_AT = r"(?: ?(?:@|#|\(at\)|\[at\]|【at】|【AT】|\(AT\)|\[AT\]|【艾特】|\(艾特\)|<at>| at |艾特|圈a) ?)"
_EMAIL_DOT = r"(?: ?(?:\.|\(dot\)|\[dot\]|【dot】|【点】|\(点\)| dot |点) ?)"
_TLD = r"(?:com|cn|net|org|edu|gov|cc|io|me|info|top|vip|xyz|hk|tw|uk|jp|fr|de|sg|au|ca)"
_WECHAT_WORDS = (
    r"(?:微信|微 信|微\.信|微-信|微\*信|威\.信|薇\.信|威信|威 信|薇信|薇 信|徽信|卫星|微星|绿泡泡|微心|卫心|威心|徽心|维信|微芯|威芯|薇芯|"
    r"威 ?xin|微 ?xin|"
    r"V信|v信|VX|Vx|vx|vX|WX|wx|Wx|weixin|wei ?xin|WeChat|wechat|Wechat|加微|加薇|加威|[微薇Vv][❤♥💗💕]\ufe0f?|"
    r"(?<![A-Za-z])[Vv]2?(?![A-Za-z]))"
)
CONTACT_RULES = (
    Rule(
        "email",
        re.compile(
            r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]* ?@ ?[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*"
            r"\.[A-Za-z]{2,10}(?![A-Za-z])"
        ),
        1,
    ),
    # spelled out: "abc at 163 dot com", "abc#163.com", "abc艾特qq点com"
    Rule(
        "email",
        re.compile(
            r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*"
            + _EMAIL_AT
            + r"[A-Za-z0-9\-]+(?:"
            + _EMAIL_DOT
            + r"[A-Za-z0-9\-]+)*"
            + _EMAIL_DOT
            + _TLD
            + r"(?:\.cn)?(?![A-Za-z])",
            re.I,
        ),
        1,
    ),
    Rule(
        "qq",
        re.compile(
            r"(?:QQ|Q Q|qq|Qq|扣扣|扣 扣|抠抠|企鹅号?|球球|(?<![A-Za-z])[Qq](?![A-Za-z])|(?<=加)扣|扣(?= ?:)|扣(?= ?[1-9]\d{5,10}(?![0-9元块分])))"
            r"(?: ?(?:号码|号|账号|群))?(?:联系|联系我|私聊)?"
            + _LINK
            + r"(?P<v>(?:Q{1,2} ?(?:号码|号)? ?:?)?[1-9](?:"
            + _SEP
            + r"\d){4,11})(?![0-9A-Za-z])"
        ),
        3,
    ),
    Rule(
        "wechat",
        re.compile(
            _WECHAT_WORDS + r"(?: ?(?:号码|号|ID|id|账号))?(?:[ :=(是为加搜索：]|同号){0,4}"
            r"(?P<v>[A-Za-z][\-_A-Za-z0-9]{5,19}|1"
            + _SEP
            + r"[3-9](?:"
            + _SEP
            + r"\d){9}|\d{5,11})"
            r"(?![\-_A-Za-z0-9])"
        ),
        2,
    ),
    # a second id: 微信 leo_mom_us 或者 leo-dad-pumch; the id again in brackets: y-z-h-1996（yzh1996）
    Rule(
        "wechat",
        re.compile(
            _WECHAT_WORDS
            + r"[^A-Za-z0-9\n]{0,4}[A-Za-z][\-_A-Za-z0-9 ]{3,30}? ?(?:或者|或|和|、|/|\() ?"
            r"(?P<v>[A-Za-z][\-_A-Za-z0-9]{5,29})(?![\-_A-Za-z0-9])"
        ),
        8,
    ),
    # an id with an underscore later in the sentence: 全拼就是 wang_li_2023
    Rule(
        "wechat",
        re.compile(
            r"(?:微信|威信|薇信|徽信|微星|绿泡泡|加微)[^\n。]{0,60}?(?P<v>" + _UNDERSCORE_ID + r")"
        ),
        9,
    ),
    # a nickname: 微信名叫“阳光总在风雨后”, 微信昵称：快乐小猪
    Rule(
        "wechat",
        re.compile(
            r"(?:微信|威信|薇信|vx|VX|wx|WX)(?:昵称|名字|名|号名)(?:叫|是|为|[ :：]){1,3}"
            r"[“\"「『]?(?P<v>(?![叫是不什啥忘])[^”\"」』\s，。,、；;！!？?（(]{2,24}?)(?=[”\"」』\s，。,、；;！!？?（(]|$)"
        ),
        9,
    ),
    # a QQ number a few words after the keyword: QQ也留一下 3391027486
    Rule(
        "qq",
        re.compile(
            r"(?:QQ|qq|扣扣|企鹅号?)(?:(?!邮箱|空间|音乐)[^0-9A-Za-z\n。@]){1,10}?"
            r"(?<![0-9])(?P<v>[1-9](?:" + _SEP + r"\d){4,11})(?![0-9A-Za-z@])"
        ),
        8,
    ),
    # a WeChat id a few words after the keyword: 能加你微信吗？我的是 sz_anxious_cat
    Rule(
        "wechat",
        re.compile(
            _WECHAT_WORDS + r"(?:(?!公众|小程序|群|视频号|支付)[^A-Za-z0-9\n。]){1,24}?"
            r"(?<![A-Za-z0-9])(?P<v>[A-Za-z](?=[A-Za-z0-9_\-]*[_0-9])[A-Za-z0-9_\-]{5,29})(?![\-_A-Za-z0-9@]|\.[A-Za-z0-9])"
        ),
        8,
    ),
)

# 加v + an id that starts with x: the v alone is the cue (加vxiaoqing520), not vx
_VX_ID = Rule(
    "wechat",
    re.compile(r"(?<=加)[VvWw](?P<v>[Xx][a-z][\-_a-z0-9]{4,19})(?![\-_A-Za-z0-9])"),
    2,
)
# An id with no cue word, of a shape only ids have: wxid_…, or lower-case pinyin or words with
# an underscore, then digits (xiaoyu9527, zhl_19880612; not covid19, hba1c, a code in a link)
_BARE_ID = Rule(
    "wechat",
    re.compile(
        # (a class first, the look behind after it: re skips the other characters fast; a
        # circRNA or gene id is clinical content: hsa_circ_0091419, circRNA_103191)
        r"(?P<v>[a-z](?<![A-Za-z0-9_\-./@:=#?&%+][a-z])"
        r"(?<!h(?=sa_))(?<!m(?=mu_))(?<!r(?=no_))(?<!c(?=irc_|ircrna_|hr_))(?<!m(?=ir_))(?<!l(?=nc_|inc_))(?<!s(?=nhg_))"
        r"(?:xid_[a-z0-9]{6,24}"
        r"|(?:[a-z]{3,15}|[a-z]{1,11}(?:_[a-z]{1,12})+)_?[0-9]{3,8}(?:_[a-z0-9]{1,8})?))"
        r"(?![A-Za-z0-9_\-@]|\.[A-Za-z0-9])"
    ),
    9,
    lambda value, folded, start: _bare_id(value),
)


def _bare_id(value: str) -> bool:
    if value.startswith("wxid_") or "_" in value:
        return True
    letters = value.rstrip("0123456789")
    return _PINYIN_RUN.fullmatch(letters) is not None


_PINYIN_RUN = re.compile(
    r"(?:(?:[bpmfdtnlgkhjqxrzcsyw]|zh|ch|sh)?"
    r"(?:iang|iong|uang|ang|eng|ing|ong|uan|ian|iao|uai|ai|ei|ao|ou|an|en|in|un|ia|ie|iu|ua|uo|"
    r"ue|ui|er|a|o|e|i|u|v)){2,5}"
)
# An id right after 加我, or followed by the app's name: 加我 luo_cm_find; xunqin_zmd_1992 （微信）
_ID_SHAPE = r"[A-Za-z](?=[A-Za-z0-9\-]*[_0-9])[A-Za-z0-9_\-]{5,29}"
WECHAT_BY_CONTEXT = (
    Rule(
        "wechat",
        re.compile(rf"加我[ :：]{{0,2}}(?P<v>{_ID_SHAPE})(?![A-Za-z0-9_\-@]|\.[A-Za-z0-9])"),
        9,
        anchor=Anchor(re.compile("加我"), 0, 40),
    ),
    Rule(
        "wechat",
        re.compile(rf"(?<![A-Za-z0-9_\-/.@])(?P<v>{_ID_SHAPE}) ?\((?:微信|微信号|vx|VX|wx|WX)\)"),
        9,
        anchor=Anchor(
            re.compile(
                "(微信)|(微信号)|(vx)|(VX)|(wx)|(WX)".replace("(", "\\(").replace(")", "\\)")
            ),
            36,
            0,
        ),
    ),
)

_SOCIAL_SITES = (
    r"weibo\.com|weibo\.cn|douyin\.com|iesdouyin\.com|xiaohongshu\.com|xhslink\.com|bilibili\.com|"
    r"b23\.tv|zhihu\.com|kuaishou\.com|douban\.com|instagram\.com|twitter\.com|x\.com|tiktok\.com"
)
_SOCIAL_SITE = re.compile(_SOCIAL_SITES, re.I)
_SOCIAL_BEFORE = re.compile(_SOCIAL_WORDS + "|" + _SOCIAL_SITES)
_URL_CHARS = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'*+,;=%]"
# Public posts and videos on social sites name no one: only profiles and personal links count.
_PUBLIC_CONTENT = re.compile(r"/(?:video|BV[0-9A-Za-z]|zvideo|topic|search)", re.I)


def _personal_link(value: str, folded: str, start: int) -> bool:
    """False for a public post or video on a social site; any other link may be personal."""
    return not (_SOCIAL_SITE.search(value) and _PUBLIC_CONTENT.search(value))


def _after_link(value: str, folded: str, start: int) -> bool:
    """An extraction code belongs to a share link shortly before it."""
    return _LINK_BEFORE.search(folded, max(0, start - 120), start) is not None


_LINK_BEFORE = re.compile(r"://|www\.|\.com|\.cn")
URL_RULES = (
    Rule(
        "social_handle",
        re.compile(
            r"(?:https?://)?(?:[A-Za-z0-9\-]+\.)*(?:"
            + _SOCIAL_SITES
            + r")(?:/"
            + _URL_CHARS
            + r"*)?",
            re.I,
        ),
        4,
        _personal_link,
    ),
    Rule(
        "url",
        re.compile(
            r"(?:https?://|www\.)" + _URL_CHARS + r"+"
            r"|(?<![A-Za-z0-9@.\-])(?:bit\.ly|goo\.gl|t\.co|dwz\.cn|url\.cn|tinyurl\.com)/[A-Za-z0-9]+"
            r"|(?<![A-Za-z0-9@.\-])[A-Za-z0-9][A-Za-z0-9\-]{0,62}(?:\.[A-Za-z0-9\-]{1,63})*"
            r"\.(?:com|cn|net|org|cc|top|info|vip|xyz|me|io)(?![A-Za-z])(?:/" + _URL_CHARS + r"*)?",
            re.I,
        ),
        5,
        _personal_link,
    ),
    Rule(
        "social_handle",
        re.compile(
            _SOCIAL_WORDS
            + r"(?:号|ID|id|UID|uid|账号|用户名|昵称|名字|名|主页)?(?:[ :=是为叫搜索关注：(（“\"]|也是|UID|uid|ID|id){1,6}"
            r"(?P<v>@?[A-Za-z0-9_\-.\u4e00-\u9fff]{2,24}?)(?=[\s，。,;；！!？?、)）(（”\"]|\.(?![A-Za-z0-9])|$)"
            r"(?! ?\[)"
        ),
        6,
    ),
    Rule(
        "social_handle",
        # a Chinese handle ends before what is said of it: @失眠的猫头鹰推荐了褪黑素
        re.compile(
            r"(?<![A-Za-z0-9._%+\-])@(?:[A-Za-z0-9_\-]|(?!推荐|说|讲|建议|提到|分享|回复|发了|写了)"
            r"[\u4e00-\u9fff]){2,20}"
        ),
        7,
    ),
    # an account name with an underscore later on: 抖音 … 我本人的新号是 dy_xiaoyang2024
    Rule(
        "social_handle",
        re.compile(
            r"(?:微博|抖音|小红书|红书|B站|b站|哔哩哔哩|知乎|快手|视频号|豆瓣|头条号|推特|闲鱼|贴吧|陌陌)"
            r"[^\n]{0,80}?(?P<v>" + _UNDERSCORE_ID + ")"
        ),
        9,
    ),
    # a name to search for: 视频号也发了，搜 咳嗽宝宝妈 就行
    Rule(
        "social_handle",
        re.compile(
            _SOCIAL_WORDS + r"[^\n。]{0,12}?搜索?[ :：“\"]{0,2}"
            r"(?P<v>(?![一下不])[^\s，。,、！!？?“”\"]{2,20}?)"
            r"(?:[”\"]|(?=\s*(?:就行|就能|就可以|就是|即可|关注)))"
        ),
        9,
    ),
    # a nickname in quotes after a word for one: 昵称“陪妈妈抗癌的小胖”, up主“小林医学日记”
    Rule(
        "social_handle",
        re.compile(
            r"(?:昵称|网名|用户名|账号名|账号|ID叫|ID是|id叫|up主|UP主|博主|老用户|群友|我叫|叫我)[ :：是叫为]{0,2}"
            r"[“\"「『](?P<v>[^”\"」』\n]{2,20})[”\"」』]"
        ),
        9,
    ),
    # an account after a bare ID: ID：zhangsan_88
    Rule(
        "social_handle",
        re.compile(
            r"(?<![A-Za-z])(?:ID|id|Id)(?:[:：]|号?是|号[:：]?) ?(?P<v>[A-Za-z](?=[A-Za-z0-9_\-.]*(?:_|\d{3}))[A-Za-z0-9_\-.]{3,29})"
            r"(?![A-Za-z0-9_\-@]|\.[A-Za-z0-9])"
        ),
        9,
    ),
    # an id with letters and four digits or more a few words after a platform word:
    # 快手号也有：ks8827361094
    Rule(
        "social_handle",
        re.compile(
            _SOCIAL_WORDS + r"(?:号|账号|ID|id)?[^A-Za-z0-9\n。]{0,8}?(?<![A-Za-z0-9_\-])"
            r"(?P<v>[A-Za-z][A-Za-z_\-.]*\d{4,}[A-Za-z0-9_\-]*)(?![A-Za-z0-9_\-@]|\.[A-Za-z0-9])"
        ),
        9,
    ),
    # a name in quotes after 名字叫 where a platform was named shortly before: 小红书号 …，
    # 名字叫“栀子花开的秋天”
    Rule(
        "social_handle",
        re.compile(
            r"(?:名字叫|名字是|名叫|叫做)[ :：]?[“\"「『](?P<v>[^”\"」』\n]{2,20})[”\"」』]"
        ),
        9,
        lambda value, folded, start: (
            _SOCIAL_BEFORE.search(folded, max(0, start - 60), start) is not None
        ),
    ),
    # a numeric user id: UID 482751093
    Rule("social_handle", re.compile(r"(?:UID|uid|Uid)[ :：]{0,2}(?P<v>\d{5,12})(?!\d)"), 6),
    # 抖音号89317264035: letters and digits straight after the platform's number word
    Rule(
        "social_handle",
        re.compile(
            _SOCIAL_WORDS
            + r"(?:号|ID|id|UID|uid|账号)(?P<v>[A-Za-z0-9_\-.]{4,24})(?![A-Za-z0-9_\-.@])"
        ),
        6,
    ),
    # a name given a few words after the platform: 在知乎上的名字是 沉默的胖子, 小红书的账号：米粒成长记,
    # B站的UID是 38291047, 号就叫 晚风不吹
    Rule(
        "social_handle",
        re.compile(
            _SOCIAL_WORDS
            + r"[^，。,\n]{0,8}?(?:的)?(?:名字(?:叫|是)?|ID(?:是|叫)?|id(?:是|叫)?|UID(?:是)?|账号(?:是|叫|名)?|号(?:就)?叫|上叫|昵称(?:是|叫)?)"
            r"[ :：]{0,2}(?P<v>(?![也就是叫在的我你他她和])@?[A-Za-z0-9_\-.\u4e00-\u9fff]{2,24}?)(?=[\s，。,;；！!？?、)）(（”\"]|$)"
        ),
        10,
    ),
    # a handle named as one without quotes, on any platform: 账号叫小糯米康复记, 昵称 半夏微凉_
    Rule(
        "social_handle",
        re.compile(
            r"(?:账号叫|账号名(?:叫|是)?|昵称(?:叫|是|为)?|网名(?:叫|是|为)?|用户名(?:叫|是|为)?)[ :：]{0,2}"
            r"(?P<v>(?![我你他她它]|手机|微信|电话)[A-Za-z0-9_\-.\u4e00-\u9fff]{2,24}?)(?=[\s，。,;；！!？?、)）(（”\"]|$)"
        ),
        10,  # below a WeChat nickname (微信昵称：快乐小猪 is a WeChat id)
    ),
    # the code that opens a share link: 提取码 7g2k, 密码 tj88
    Rule(
        "url",
        re.compile(
            r"(?:提取码|访问码|分享码|取件码|密码)[ :是为]{0,3}(?P<v>[A-Za-z0-9]{4,8})(?![A-Za-z0-9])"
        ),
        5,
        _after_link,
    ),
)

_EMAIL_ANCHOR = re.compile(r"@|#| at | AT |\(at\)|\[at\]|【at】|【AT】|\(AT\)|\[AT\]|<at>|艾特|圈a")
# Anchors are plain alternations of words: re then skips the positions where no word can start
# (a character class or a group inside the alternation would turn that off and cost 5x).
_WECHAT_ANCHOR = re.compile(
    "微信|威信|薇信|徽信|卫星|绿泡泡|微心|卫心|威心|徽心|维信|微芯|威芯|薇芯|V信|v信|VX|Vx|vx|vX|WX|wx|Wx|"
    "weixin|wei xin|WeChat|wechat|Wechat|加微|加薇|加威|微星|微 信|威 信|薇 信|威 xin|威xin|微xin|"
    "微 xin|加V|加v|+V|+v|V:|v:|V |v |V(|v(|V2|v2|微.信|微-信|微*信|威.信|薇.信|微❤|薇❤|V❤|v❤|微♥|v♥|微💗|微💕".replace(
        "+", "\\+"
    )
    .replace("(", "\\(")
    .replace(".", "\\.")
    .replace("*", "\\*")
)
_QQ_ANCHOR = re.compile("Q|q|扣|抠抠|企鹅|球球")
_TLDS = "com cn net org cc top info vip xyz me io tv COM CN NET ORG"
# spelt out as words (\.com, \.cn, …): found in the pass over the other anchor words
_URL_ANCHOR = re.compile(
    "|".join([r"://", r"www\.", r"WWW\.", r"bit\.ly/", r"goo\.gl/", r"t\.co/"])
    + "".join(r"|\." + tld for tld in _TLDS.split(" "))
)
_SOCIAL_ANCHOR = re.compile(
    "闲鱼|贴吧|陌陌|微博|抖音|小红书|红书|红薯|B站|b站|哔哩|bilibili|知乎|快手|视频号|豆瓣|头条|简书|微视|西瓜视频|斗鱼|虎牙|ins|INS|Instagram|推特|"
    "twitter|Twitter|tiktok|TikTok"
)
_RECORD_ANCHOR = re.compile(_RECORD_WORDS)
_PASSPORT_ANCHOR = re.compile(
    "护照|通行证|台胞证|回乡证|港澳证|旅行证|证件号|パスポート|Passport|passport|PASSPORT"
)
_BED_ANCHOR = re.compile("床")

ALL_RULES: tuple[Rule, ...] = (
    anchored(CONTACT_RULES[0], _EMAIL_ANCHOR, 64, 64),
    anchored(CONTACT_RULES[1], _EMAIL_ANCHOR, 64, 80),
    *(
        anchored(rule, _QQ_ANCHOR if rule.kind == "qq" else _WECHAT_ANCHOR, 0, 60)
        for rule in CONTACT_RULES[2:]
    ),
    *WECHAT_BY_CONTEXT,
    anchored(_VX_ID, re.compile("加v|加V|加w|加W"), 0, 24),
    # only ids with an underscore (wxid_…, zhl_19880612): a pass of its own over every text
    # for pinyin + digits (xiaoyu9527) cost 1% of the engine's time
    anchored(_BARE_ID, re.compile("_"), 24, 30),
    anchored(URL_RULES[0], _URL_ANCHOR, 80, 4),
    anchored(URL_RULES[1], _URL_ANCHOR, 80, 4),
    anchored(URL_RULES[2], _SOCIAL_ANCHOR, 0, 40),
    anchored(URL_RULES[3], re.compile("@"), 0, 4),
    anchored(URL_RULES[4], _SOCIAL_ANCHOR, 0, 100),
    anchored(URL_RULES[5], _SOCIAL_ANCHOR, 0, 50),
    anchored(
        URL_RULES[6],
        re.compile("昵称|网名|用户名|账号|ID叫|ID是|id叫|up主|UP主|博主|老用户|群友|我叫|叫我"),
        0,
        30,
    ),
    anchored(URL_RULES[7], re.compile("ID:|ID：|id:|id：|Id:|Id：|ID是|id是|ID号|id号"), 0, 36),
    anchored(URL_RULES[8], _SOCIAL_ANCHOR, 0, 40),
    # after the platform word (its check looks there), not after 名叫: 名 and 叫 are common
    anchored(URL_RULES[9], _SOCIAL_ANCHOR, 0, 70),
    anchored(URL_RULES[10], re.compile("UID|uid|Uid"), 0, 20),
    anchored(URL_RULES[11], _SOCIAL_ANCHOR, 0, 30),
    anchored(URL_RULES[12], _SOCIAL_ANCHOR, 0, 44),
    anchored(URL_RULES[13], re.compile("账号叫|账号名|昵称|网名|用户名"), 0, 30),
    anchored(URL_RULES[14], re.compile("提取码|访问码|分享码|取件码|密码"), 0, 16),
    anchored(RECORD_RULES[0], _RECORD_ANCHOR, 0, 40),
    anchored(RECORD_RULES[1], _RECORD_ANCHOR, 40, 0),
    anchored(RECORD_RULES[2], _BED_ANCHOR, 16, 8),
    RECORD_RULES[3],
    *(anchored(rule, YEAR, 20, 20) for rule in DOB_RULES),
    anchored(
        DOB_RULES[0],
        re.compile("出生|生日|生于|DOB|birthday|Birthday|of birth|of Birth|born|Born"),
        0,
        40,
    ),
    anchored(DOB_RULES[1], re.compile("出生|生人|生的|的生日|月生|日生|号生"), 24, 0),
    anchored(
        DOB_RULES[2],
        re.compile("|".join("属" + sign for sign in "鼠牛虎兔龙蛇马羊猴鸡狗猪")),
        24,
        20,
    ),
    anchored(ID_RULES[0], DIGIT_RUN, 4, 40),
    anchored(ID_RULES[1], DIGIT_RUN, 4, 40),
    anchored(ID_RULES[2], _PASSPORT_ANCHOR, 0, 40),
    anchored(ID_RULES[3], DIGIT_RUN, 4, 20),
    anchored(ID_RULES[4], DIGIT_RUN, 6, 12),
    *(anchored(rule, DIGIT_RUN, 12, 20) for rule in PHONE_RULES[:4]),
    anchored(PHONE_RULES[4], DIGIT_RUN, 20, 12),
    anchored(PHONE_RULES[5], DIGIT_RUN, 24, 12),
    # a mobile number told in its three groups with commas (一五八，九九三二，零六一七 folds to
    # 158，9932，0617): no run of five digits to anchor on
    anchored(
        Rule(
            "phone", re.compile(r"(?<![0-9])1[3-9][0-9][，,] ?[0-9]{4}[，,] ?[0-9]{4}(?![0-9])"), 30
        ),
        re.compile(r"1[3-9][0-9][，,]"),
        0,
        14,
    ),
)
