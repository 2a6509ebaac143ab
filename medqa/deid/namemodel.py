"""Names written with no word around them that says so: 罗丽萍您好, 恩施的，向丽，1996年…,
（戚建军）, 老周：…, 小蒋（替父亲）, 艾力·买买提, ZHANG YUTONG.

The cue rules of :mod:`.names` find a name where the text introduces one (我叫, 患者：, 张先生).
This model finds the rest by how Chinese names are formed and where they stand:

- **where**: a name stands alone — nothing written in Chinese right before it (start of the
  text, punctuation, a space, a digit) or a word for a person (患者, 博士生, 护士), and nothing
  right after it (punctuation, space, digits that are no dose, or 您好);
- **what**: a surname (single, double, or one the cue rules leave out as a function word:
  于, 应, 向) and one or two given-name characters, each scored by how much more often it is
  written in given names than in running text (:mod:`.nametables`); a nickname 老 + surname,
  小 / 阿 + a surname or a name character; a name with a middle dot (艾力·买买提); a surname
  and given name in pinyin capitals or title case (ZHANG YUTONG, Zhang Yutong);
- **not a word**: a candidate that starts with a dictionary word (周期, 方案, 白细胞, 黄疸, 毛巾),
  a prefecture or county name (常德, 尤溪) or one of the clinical and place words of
  :data:`medqa.deid.names.NOT_NAMES` is that word.

Only characters that can start a name are looked at, and only where no Chinese character
stands before them, which keeps the cost to a few microseconds per record.
"""

from __future__ import annotations

import re

from medqa.deid.names import (
    _RELATIVE_ANCHOR,
    _RELATIVES,
    DOUBLE_SURNAMES,
    NOT_NAMES,
    SINGLE_SURNAMES,
)
from medqa.deid.nametables import MODEL_ONLY_SURNAMES, load, load_places
from medqa.deid.rules import Rule, anchored, trie_pattern

SCORES, WORDS = load()
PLACES = load_places()
# 祝 starts greetings (祝康！) far more often than it is written as a surname without a cue
_SINGLES = SINGLE_SURNAMES.replace("祝", "") + MODEL_ONLY_SURNAMES
_DOUBLES = frozenset(DOUBLE_SURNAMES.split("|"))
# Yi clan names, written before a given name like a double surname (吉克阿依, 沙马拉毅)
_CLAN_NAMES_TEXT = "吉克 阿苏 沙马 吉木 俄木 海来 曲比 阿西 阿的 马海 吉伍 阿尔 俄底 瓦扎 勒格 阿力"
_CLAN_NAMES = frozenset(_CLAN_NAMES_TEXT.split(" "))
_RARE_FROM = 150  # surnames past this rank in SINGLE_SURNAMES (most frequent first) lose a little
_SURNAME_RANK = {char: rank for rank, char in enumerate(_SINGLES)}
# a name of surname + two given characters needs this score, of one given character THRESHOLD_2
THRESHOLD_3 = 1.0
THRESHOLD_2 = 0.5
NICKNAME_THRESHOLD = 2.0
A_NICKNAME_THRESHOLD = 0.0  # 阿 + a name character (阿强, 阿明) is a nickname unless it is a word
# the score a name gains from a word for a person before it (我丈夫应海) or a person's
# particulars after it (陶静，1992年8月11日出生 / ，女，/ ，身份证)
CONTEXT_BONUS = 1.0
_PARTICULARS_FOLLOW = re.compile(
    r"[，,、 ]{1,2}(?:(?:19|20)\d\d|\d{1,3} ?岁|[男女](?![\u4e00-\u9fff])|身份证|电话|手机|生日|出生)"
)
_HAN = "\u4e00-\u9fff"
_FIRST = "".join(sorted(set(_SINGLES) | {w[0] for w in _DOUBLES | _CLAN_NAMES} | set("老小阿")))
# a name's first character, with nothing Chinese before it or a word a name follows in running
# text (和, 给, 陪 …), then one to three more and what may end a name: the class first, so re
# skips the other characters fast
_CANDIDATE = None  # built below, once the words that end a name are known


# words for a person that a name may follow directly (博士生张涛, 护士小何, 患者莫小雨, 舅舅温建新),
# and 叫 (孩子叫吉克阿依, 叫我老秦就行): after them a name may also end before 的, 就, 是 …
_PERSON_WORDS = (
    "叫 叫我 名叫 博士生 研究生 大学生 学生 同学 同事 护士 护士长 护工 护理员 老师 师傅 司机 "
    "队友 室友 网友 邻居 村民 员工 志愿者 病友 工友 战友 助理 联系 转告 告诉 患者 病人 患儿 "
    "家属 那口子 闺蜜 " + " ".join(w for w in _RELATIVES if len(w) >= 2)
)
# what may follow a name in running text: a particle, a verb, an honorific (阿芳姐)
_LOOSE_END = "的就是在也说吧呢啊呀了和跟问会查做去来吃住打得患被把都还才又要想能很姐哥"
# words that follow a person's name in running text: 刘建平一起去, 黄晓明今年45岁
_LOOSE_WORDS_TEXT = (
    "一起 今年 现年 昨天 今天 前天 前年 去年 当年 那年 上周 上个月 最近 一直 已经 平时 每天 经常 "
    "总是 还是 得了 患有 确诊 住院 出院 告诉 介绍 推荐 发现 觉得 建议 陪 带 帮 给 让 叫 找"
)
_LOOSE_WORDS = tuple(_LOOSE_WORDS_TEXT.split(" "))
# characters before a name in running text: 和刘建平一起, 转给欧阳娜娜, 陪婆婆找王大夫
_RUN_LEFT = "和跟与同给让找问请陪带替帮被等告诉天"
# a name in running text has less around it to go by: it needs this much more score (after
# 的, which most words follow, the model does not look: brand drugs scored as names there)
RUNNING_PENALTY = 1.0
_PERSON_WORD_LIST = sorted(set(_PERSON_WORDS.split()), key=lambda w: (-len(w), w))
# last character -> the words for a person that end in it (博士生, 学生, 大学生 for 生)
_PERSON_WORDS_BY_LAST: dict[str, tuple[str, ...]] = {}
for _word in _PERSON_WORD_LIST:
    _PERSON_WORDS_BY_LAST[_word[-1]] = (*_PERSON_WORDS_BY_LAST.get(_word[-1], ()), _word)
_LEFT_CHARS = "".join(sorted(set(_RUN_LEFT) | set(_PERSON_WORDS_BY_LAST)))
_CANDIDATE = re.compile(
    f"[{_FIRST}](?:(?<![{_HAN}].)|(?<=[{_LEFT_CHARS}].))[{_HAN}]{{1,3}}?"
    f"(?:(?![{_HAN}])|(?=您好|你好|[{_LOOSE_END}]|" + trie_pattern(_LOOSE_WORDS) + "))"
)
# 老/小 + a surname that is a word, not a nickname (小米, 老花眼); 于 and 应 never follow 小
_NOT_NICKNAMES_TEXT = (
    "小米 小麦 小满 小寒 小暑 老花 老成 小康 小包 小车 小计 小方 小吉 小于 小应 小向 小叶 小白"
)
_NOT_NICKNAMES = frozenset(_NOT_NICKNAMES_TEXT.split(" "))
_DOSE = re.compile(
    r"\s?\d+(?:\.\d+)?\s?(?:mg|g|ml|mL|μg|ug|µg|IU|U|片|粒|支|袋|丸|克|毫克|毫升|单位|滴|次|%)"
)
# function words and clinical words, which no transliterated name holds (热, 次, 多 it may:
# 热依拉, 次仁, 多吉)
_NOT_IN_DOTTED_NAME = frozenset(
    "的了是在和与或及就都也还又再很太更最不没无未别已被把让给对从向往到于为以因所而且但却吗呢吧啊呀"
    "哦嘛么着过去说讲问答看查做要想会能该得找请叫我你他她它们这那哪谁什怎今昨谢每各第"
    "病症痛疼炎癌瘤肿药医院科室诊检验测治疗术输床护记录顶帖群"
)
# after a word for a person: 叫阿依古丽·买买提, 患者艾力·吐尔逊
_DOTTED_CUED = re.compile(
    f"(?<=叫|是|者|人|属|妈|爸|子|儿|女|友|事)[{_HAN}]{{2,6}}[·•][{_HAN}]{{2,8}}(?![{_HAN}·•])"
)
_DOTTED = re.compile(f"(?<![{_HAN}·•])[{_HAN}]{{2,6}}[·•][{_HAN}]{{2,8}}(?![{_HAN}·•])")
_PINYIN_SURNAMES = (
    "WANG LI ZHANG LIU CHEN YANG HUANG ZHAO WU ZHOU XU SUN MA ZHU HU GUO HE GAO LIN LUO ZHENG "
    "LIANG XIE SONG TANG HAN FENG DENG CAO PENG ZENG XIAO TIAN DONG YUAN PAN JIANG CAI YU DU YE "
    "CHENG SU WEI LV LU DING REN SHEN YAO CUI ZHONG TAN JIA FAN FANG SHI QIN QIU XIA KONG BAI "
    "MENG XIONG HOU LONG DUAN LEI SHAO MAO HAO GU GONG WAN QIAN YAN YIN DAI MO KANG QI NIU JIN "
    "OUYANG SIMA SHANGGUAN ZHUGE"
)
# one pinyin syllable (initial + final), so that English words rarely pass
_SYLLABLE = (
    r"(?:[bpmfdtnlgkhjqxrzcsyw]|zh|ch|sh)?"
    r"(?:iang|iong|uang|ang|eng|ing|ong|uan|ian|iao|uai|ai|ei|ao|ou|an|en|in|un|ia|ie|iu|ua|uo|"
    r"ue|ui|er|a|o|e|i|u|v)"
)
_PINYIN_NAME = re.compile(
    r"(?<![A-Za-z] )(?<![A-Za-z])(?:(?:" + _PINYIN_SURNAMES.replace(" ", "|") + r") "
    r"[A-Z]{2,12}(?: [A-Z]{2,6})?|(?:"
    + "|".join(s.title() for s in _PINYIN_SURNAMES.split())
    + r") [A-Z][a-z]{1,11})(?![A-Za-z]| [A-Za-z])"
)


def _given_score(given: str) -> float | None:
    """Summed score of the given-name characters, None if one is never in a name."""
    total = 0.0
    for char in given:
        score = SCORES.get(char)
        if score is None:
            return None
        total += score
    return total


def _is_word(text: str, start: int, length: int) -> bool:
    """A dictionary or clinical word starts at ``start`` within ``length`` characters, or the
    ``length`` characters are a place."""
    if text[start : start + 2] in NOT_NAMES:
        return True
    if text[start : start + length] in PLACES:  # the whole of it (江海涛 is no 江海)
        return True
    return any(text[start : start + k] in WORDS for k in range(2, length + 1))


def _ends_name(text: str, end: int, loose: bool = False) -> bool:
    """Nothing written in Chinese right after ``end`` (and no dose), or a greeting; ``loose``:
    also a particle or verb of :data:`_LOOSE_END` (after a word for a person)."""
    if end >= len(text):
        return True
    char = text[end]
    if "\u4e00" <= char <= "\u9fff":
        return text.startswith(("您好", "你好"), end) or (
            loose and (char in _LOOSE_END or text.startswith(_LOOSE_WORDS, end))
        )
    if char == "-" and text[end + 1 : end + 2].isalpha():
        return False  # one part of a hyphenated term: 伏格特-小柳-原田病
    if char.isascii() and char.isalpha():
        return False  # a brand and its letter: 甘舒林R
    return _DOSE.match(text, end) is None


def _full_name(text: str, start: int, loose: bool = False, bonus: float = 0.0) -> int:
    """End of a surname + given name starting at ``start`` that the model accepts, else 0."""
    two = text[start : start + 2]
    clan = two in _CLAN_NAMES
    if two in _DOUBLES or clan:
        surname_len, penalty = 2, 0.0
    elif text[start] in _SURNAME_RANK:
        surname_len = 1
        penalty = -0.5 if _SURNAME_RANK[text[start]] >= _RARE_FROM else 0.0
    else:
        return 0
    for given_len in (2, 1):
        end = start + surname_len + given_len
        if end > len(text) or not _ends_name(text, end, loose):
            continue
        if given_len == 1 and text[end : end + 1].isdigit():
            continue  # a lab name and its value: 谷炳58
        given = text[start + surname_len : end]
        if not all("\u4e00" <= c <= "\u9fff" for c in given):
            continue
        if given[-1] in _REMEDY_LAST or "氏" in given:  # 唐氏筛查, 惠氏
            return 0
        if clan:  # a Yi clan name (itself a word) and a transliterated given name: 吉克阿依
            return end if not any(c in _NOT_IN_DOTTED_NAME for c in given) else 0
        if surname_len == 2:  # 司马 and 诸葛 are words themselves: the whole name must be none
            if text[start:end] in WORDS or text[start:end] in PLACES:
                return 0
        elif _is_word(text, start, end - start):
            return 0
        score = _given_score(given)
        if score is None:
            return 0
        threshold = THRESHOLD_3 if given_len == 2 else THRESHOLD_2
        penalty += bonus
        if _PARTICULARS_FOLLOW.match(text, end):
            penalty += CONTEXT_BONUS
        if score + penalty - (0 if given_len == 2 else 1.0) >= threshold:
            return end
        return 0
    return 0


def _nickname(text: str, start: int, loose: bool = False) -> int:
    """End of 老周 / 小敏 / 阿梅 at ``start``: 老 or 小 + a surname (小张 is a dictionary word
    and a nickname alike), or 小 / 阿 + a name character that starts no dictionary word."""
    lead, end = text[start], start + 2
    if end > len(text) or not _ends_name(text, end, loose) or text[end : end + 1].isdigit():
        return 0
    if start and text[start - 1].isdigit():  # a measure: 2小勺
        return 0
    char, two = text[start + 1], text[start : start + 2]
    if lead != "阿" and char in SINGLE_SURNAMES and two not in _NOT_NICKNAMES:
        return end
    threshold = NICKNAME_THRESHOLD if lead == "小" else A_NICKNAME_THRESHOLD
    if lead != "老" and SCORES.get(char, -99.0) >= threshold and not _is_word(text, start, 2):
        return end
    return 0


def find_names(text: str, latin: bool = True) -> list[tuple[int, int]]:
    """(start, end) of the names the model accepts in ``text``: standing alone, after a word
    for a person, in running text, dotted, pinyin (after a relative and of minority name
    parts: :data:`MODEL_RULES_TEXT`, which the engine tries near its anchor words).
    ``latin=False`` says the text holds no Latin letter (no pinyin name to look for)."""
    spans: list[tuple[int, int]] = []
    last_end = 0
    for match in _CANDIDATE.finditer(text):
        start = match.start()
        if start < last_end or not _may_start_name(text, start):
            continue
        before = text[start - 1] if start else ""
        cued = False
        if "\u4e00" <= before <= "\u9fff":
            words = _PERSON_WORDS_BY_LAST.get(before, ())
            cued = any(text.endswith(word, 0, start) for word in words)
            if cued:  # 博士生张涛, 叫我老秦: a word for a person says what follows
                end = _name_at(text, start, True, CONTEXT_BONUS)
            elif before in _RUN_LEFT:  # in running text: 和刘建平一起
                end = _name_at(text, start, True, -RUNNING_PENALTY)
            else:
                continue
        else:
            end = _name_at(text, start, False) or _name_at(text, start, True, -RUNNING_PENALTY)
        if end and (
            cued or not (_lone_list_item(text, start, end) or _taken_as_medicine(text, start, end))
        ):
            spans.append((start, end))
            last_end = end
    if "·" in text or "•" in text:  # the dots a name's parts are written between
        spans += [m.span() for m in _DOTTED.finditer(text) if _dotted_name(text, *m.span())]
        spans += [m.span() for m in _DOTTED_CUED.finditer(text) if _dotted_name(text, *m.span())]
    if latin and _PINYIN_GATE(text):
        spans += [m.span() for m in _PINYIN_NAME.finditer(text) if _pinyin_name(m.group())]
    return spans


def _may_start_name(text: str, start: int) -> bool:
    """A quick look before the model's: no dictionary word starts here, and the character
    after a single surname is one given names hold (most candidates end here)."""
    two = text[start : start + 2]
    if text[start] in "老小阿":  # a nickname's second character: a surname or a name's
        return two[1:] in _SURNAME_RANK or SCORES.get(two[1:], -99.0) >= A_NICKNAME_THRESHOLD
    if two in _DOUBLES or two in _CLAN_NAMES:
        return True
    return two not in WORDS and two[1:] in SCORES


def _name_at(text: str, start: int, loose: bool, bonus: float = 0.0) -> int:
    """End of the name the model accepts at ``start``, else 0: ``loose`` lets it end before a
    word of :data:`_LOOSE_END` / :data:`_LOOSE_WORDS`; ``bonus`` is what the words around it
    add to its score (negative in running text)."""
    if text[start] in "老小阿":
        return _nickname(text, start, loose) or _full_name(text, start, loose, bonus)
    return _full_name(text, start, loose, bonus)


def _after_person_word(value: str, text: str, start: int) -> bool:
    return _name_at(text, start, True, CONTEXT_BONUS) == start + len(value)


def _pinyin_name(value: str) -> bool:
    """The given name is one to three pinyin syllables (ZHANG YUTONG, not ZHANG AND)."""
    given = value.split(" ", 1)[1].replace(" ", "").lower()
    return _SYLLABLES.fullmatch(given) is not None


_LIST_MARKS = "、；;"
_COMMAS = "，,"
# what drug, food and remedy names end in: the items of a list beside one are no names
# (快胃片，斯达舒，胃康灵; 清肝利胆胶囊,甘利欣; 没特效药,贺普丁)
_REMEDY_END = re.compile(
    "(?:片|胶囊|颗粒|丸|注射液|口服液|针|素|灵|药|酸|钠|钾|膏|剂|汤|散|茶|粉|糖浆|冲剂|贴|林|唑|肼|醇|"
    "松|霉|胺|酮|平|星)(?:等等|等)?$"
)
# characters that end a drug, a chemical or a herb, and rarely a given name (谷维素, 龙戟草),
# or a family or brand name (惠氏)
_REMEDY_LAST = frozenset("素酸钠钾膏剂汤散片丸粉草霉胺唑酮醇肼氏蛇")
# a name standing alone next to taking a medicine is a brand name: 吃了，施慧达，效果一般;
# 降压药（拜新同）; 换成安博维，每天一片
_DRUG_BEFORE = re.compile("[吃服用药开换剂针输涂抹擦喷滴贴买]")
_DRUG_AFTER = re.compile(
    r"[，,、）) ]?(?:\d+(?:\.\d+)? ?(?:mg|g|ml|μg|片|粒|支|毫克|袋)|片|粒|支|毫克|一天|每天|每日|一日|"
    r"一次|qd|bid|tid|效果|疗效|副作用|剂量|吃|服|用)"
)


# X和Y一起吃 / X是一种药: what is said of it is said of a medicine
_DRUG_IS = re.compile(
    r"(?:[和与或跟][^，,。！？!?\n]{1,10}?(?:片|胶囊|颗粒|丸|注射液|口服液|药)|是[^，,。！？!?\n]{0,8}?药)"
)


def _taken_as_medicine(text: str, start: int, end: int) -> bool:
    """A word of taking a medicine in the few characters before ``start`` (in the same
    clause) or right after ``end``."""
    before = text[max(0, start - 6) : start]
    for stop in "。！？!?\n；;":
        before = before.rpartition(stop)[2]
    return (
        _DRUG_BEFORE.search(before) is not None
        or _DRUG_AFTER.match(text, end) is not None
        or _DRUG_IS.match(text, end) is not None
    )


def _lone_list_item(text: str, start: int, end: int) -> bool:
    """An item of a list (、 or ；) whose neighbours are no names (卷心菜、胡罗卜、洋葱,
    阿司匹林、潘生丁、丹参片: a list of names has a name beside each one, 张伟、李娜), or of a
    list with commas beside a remedy (快胃片，斯达舒，胃康灵)."""
    before = start > 0 and text[start - 1] in _LIST_MARKS + _COMMAS + "（("
    after = end < len(text) and text[end] in _LIST_MARKS + _COMMAS
    if not (before or after):
        return False
    if before:  # 盐酸舍曲林片（左洛复）, 阿莫西林，利福平
        item = _item_before(text, start - 1)
        if _REMEDY_END.search(item) and not _names_an_item(text, start - 1 - len(item)):
            return True
    if after:
        item = _item_after(text, end + 1)
        if _REMEDY_END.search(item) and not _names_an_item(text, end + 1):
            return True
    if text[start - 1 : start] in "（(":
        return False
    listed = (before and text[start - 1] in _LIST_MARKS) or (after and text[end] in _LIST_MARKS)
    if not listed:
        return False
    neighbours = []
    if before:
        neighbours.append(_segment_before(text, start - 1))
    if after:
        neighbours.append(end + 1)
    return not any(_names_an_item(text, pos) for pos in neighbours if pos >= 0)


def _names_an_item(text: str, pos: int) -> bool:
    """The list item at ``pos`` is a name itself (a list of names: 王林，张伟)."""
    return bool(_full_name(text, pos) or _nickname(text, pos))


def _item_before(text: str, mark: int) -> str:
    """The list item that ends at ``mark``: back to the previous mark, at most eight characters."""
    item = text[max(0, mark - 8) : mark]
    for i in range(len(item) - 1, -1, -1):
        if item[i] in _LIST_MARKS + _COMMAS + "。！？!?（(：:":
            return item[i + 1 :]
    return item


def _item_after(text: str, pos: int) -> str:
    """The list item starting at ``pos``: up to the next comma or mark, at most eight characters."""
    item = text[pos : pos + 8]
    for i, char in enumerate(item):
        if char in _LIST_MARKS + _COMMAS + "。！？!?（(":
            return item[:i]
    return item


def _segment_before(text: str, mark: int) -> int:
    """Start of the list item that ends at ``mark`` (at most four characters back), or -1."""
    pos = mark
    while pos > 0 and mark - pos < 4 and "\u4e00" <= text[pos - 1] <= "\u9fff":
        pos -= 1
    return pos if pos < mark else -1


def _dotted_name(text: str, start: int, end: int) -> bool:
    """艾力·买买提, not a heading (【病友圈·置顶】) or words around a dot (问诊记录·多轮)."""
    opened = start > 0 and text[start - 1] in '【[（(《“"'
    closed = end < len(text) and text[end] in '】]）)》”"'
    if opened or closed:
        return False
    return not any(c in _NOT_IN_DOTTED_NAME for c in text[start:end])


# a space before a capital: the literal space first, which re looks for fast
_PINYIN_GATE = re.compile(" [A-Z]").search
_SYLLABLES = re.compile(f"(?:{_SYLLABLE}){{1,3}}")


# Tibetan and Uyghur names are written as two or three common name parts with no surname:
# 卓玛拉姆, 次仁多吉, 阿依古丽, 买买提江 (a part alone is too often a word to go by)
_MINORITY_PARTS = [
    "卓玛",
    "拉姆",
    "次仁",
    "多吉",
    "扎西",
    "格桑",
    "央金",
    "德吉",
    "旺姆",
    "平措",
    "索朗",
    "尼玛",
    "达瓦",
    "巴桑",
    "顿珠",
    "白玛",
    "曲珍",
    "益西",
    "丹增",
    "洛桑",
    "边巴",
    "措姆",
    "普布",
    "仁青",
    "琼达",
    "买买提",
    "艾力",
    "古丽",
    "阿依",
    "热依拉",
    "努尔",
    "阿不都",
    "艾尔肯",
    "迪丽",
    "吐尔逊",
    "依明",
    "帕丽",
    "阿里木",
    "热合曼",
    "阿布",
    "玉苏甫",
    "麦麦提",
    "阿孜",
    "吾斯曼",
    "塔依尔",
    "热娜",
    "米娜",
    "阿迪力",
    "艾合买提",
    "依力",
    "努尔兰",
    "加娜",
    "巴图",
]
_PART = f"(?:{trie_pattern(_MINORITY_PARTS)})"
# what every such name holds, words whose first character is rare in other text (the engine's
# one pass over anchor words slows with every common first character it must try)
_MINORITY_ANCHOR = re.compile(
    "玛|姆|措|珠|买买提|阿依|努尔|迪丽|吐尔逊|艾力|艾尔肯|吾斯曼|热依拉|帕丽|热合曼|玉苏甫|麦麦提|塔依尔|阿迪力"
)
_LONE_PARTS = [p for p in _MINORITY_PARTS if len(p) >= 3]
_MINORITY_NAME = re.compile(f"{_PART}{{2,3}}[江汗]?|{_PART}[江汗]|(?:{trie_pattern(_LONE_PARTS)})")
# what stands right before a name written without a surname: a word for a person, a relative
_BEFORE_BARE_NAME = re.compile(
    "(?:" + trie_pattern(_PERSON_WORD_LIST + list(_RELATIVES) + ["患者", "病人", "家属"]) + ")$"
)


def _minority_name(value: str, text: str, start: int) -> bool:
    """Two or three name parts, standing alone or after a word for a person or a relative,
    and ending where a name ends."""
    end = start + len(value)
    if end < len(text) and "\u4e00" <= text[end] <= "\u9fff" and text[end] not in _LOOSE_END:
        return False
    lone = value in _LONE_PARTS  # one part alone only after a word for a person
    if not lone and (start == 0 or not "\u4e00" <= text[start - 1] <= "\u9fff"):
        return True
    return _BEFORE_BARE_NAME.search(text[max(0, start - 4) : start]) is not None


MODEL_RULES_TEXT = (
    # a name right after a relative: 户名是我老公应伟 (the cue rule's surnames lack 应); the
    # relative cue's own anchor, so that the engine finds both in one pass
    anchored(
        Rule(
            "person_name",
            re.compile(
                "[我他她俺你您](?:的|家|和)?(?:"
                + trie_pattern(_RELATIVES)
                + f")(?:叫|是)?(?P<v>[{_FIRST}][{_HAN}]{{1,3}}?)"
                f"(?:(?![{_HAN}])|(?=您好|你好|[{_LOOSE_END}]))"
            ),
            44,
            _after_person_word,
        ),
        _RELATIVE_ANCHOR,
        0,
        8,
    ),
    anchored(
        Rule("person_name", _MINORITY_NAME, 44, _minority_name),
        _MINORITY_ANCHOR,
        6,
        12,
    ),
)
