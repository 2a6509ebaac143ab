"""Street and residential addresses: administrative prefixes, road + number, community +
building/unit/room, town + village + group, and whatever follows ``住在`` / ``地址：``.

A bare province or city (``我在广州``, ``河南老家``) is not an address and is left alone: a match
needs a road with a number, a community with a building or room, a village with a group, or a
keyword that says an address follows. Runs on the folded view, so ``三栋二单元`` is ``3栋2单元``.
"""

from __future__ import annotations

import re

from medqa.deid.rules import Rule, anchored

# Characters that never sit inside a place name: function words, pronouns, verbs of moving
# and living, punctuation. They stop a road or community name from reaching back into prose.
_NOT_IN_PLACE = (
    "我你他她它们的了是在住到去从往向与及或同间就都也还又很太最不没无未被把让给对为以因所而但"
    "吗呢吧啊呀哦嘛着过来说讲问看做吃喝打要想会能可该得找请叫这那哪些每个位次岁年"
    "病痛医院诊查疗术检床患者孩爸妈老婆儿女子省市县区"
    "，。！？、；：（）()【】《》“”‘’…,.!?;: \n\t"
)
_P = "(?:(?![" + re.escape(_NOT_IN_PLACE) + "])[\u4e00-\u9fff])"
_PN = rf"(?:{_P}|[0-9院])"  # inside a name: 中山二路 is 中山2路 in the folded view; 学院路
_NUM = r"[0-9A-Za-z十一二三四五六七八九〇零]{1,5}"
# Only the town level belongs to an address: province, city and district stay (我在广州, 海淀区).
_ADMIN = rf"(?:{_PN}{{1,8}}?(?:镇|乡|街道|村委会|居委会|村民委员会))"
# the last characters of Hong Kong and Macau road names before 道 (弥敦道, 轩尼诗道, 皇后大道
# is a 大道), never those of a body passage (尿道, 阴道, 食道, 肠道, 气道)
_HK_ROAD = "敦诗顿士打利臣坊厘咸乐华角湾景富兴德"
_ROAD = (
    rf"(?:{_P}{{1,6}}?儿胡同|(?:{_P}{_PN}{{0,9}}?|[0-9]{{2,3}})(?:大街|大道|路|街|巷|弄|胡同|[东西南北]道|(?<=[{_HK_ROAD}])道(?= ?[0-9]{{1,4}} ?号)))"
    r"(?:[东西南北中](?![路街])|[一二三四五六七八九十0-9]段)?"
)
_PLACE_SUFFIX = (
    r"(?:小区|花园|家园|公寓|大厦|新村|新城|苑|庭|府|广场|公馆|山庄|社区|宿舍|家属院|家属楼|大院|"
    r"家属区|生活区|村|屯|庄|湾|坊|园|里|城|楼盘|酒店|宾馆)"
)
_PLACE = rf"{_P}{_PN}{{0,9}}?{_PLACE_SUFFIX}"
# A housing estate, named without a number (住在阳光小区); not 石家庄 or 厦门湖里区.
_ESTATE = (
    rf"{_P}{_PN}{{1,9}}?(?:小区|花园|家园|公寓|大厦|新村|新城|山庄|社区|宿舍|家属院|家属楼|大院|苑|村)"
    r"(?![市区县省镇乡])"
)
_UNIT_WORD = r"(?:号公寓楼|号宿舍楼|号公寓|号宿舍|号楼|号院|舍|斋|栋|幢|座|塔|单元|层|楼|室|户|号|组|队|社|排|门|期|区)"
# a room: 502室, 512宿舍, 306寝室
_ROOM_WORD = r"(?:室|房间|房|号|宿舍|寝室)"
_UNITS = (
    rf"(?: ?{_NUM}(?:-{_NUM})? ?{_UNIT_WORD})+(?: ?-?[A-Za-z]?[0-9]{{2,5}}[A-Za-z]?{_ROOM_WORD}?)?"
)
_ROOM = (
    r"(?: ?[A-Za-z]?[0-9]{1,4}-[0-9]{1,4}(?:-[0-9]{1,5})?| ?[0-9]{3,4}(?:室|房间|房|宿舍|寝室)?)"
)
_NUMBER = rf" ?[甲乙丙丁]?{_NUM} ?(?:号|弄|巷)(?:院|楼)?(?:附{_NUM}号)?"
# Inside a building's name, after a road and number, 省 市 会 太 are name characters
# (省气象局宿舍, 越秀城市广场, 国际商会中心, 太古里); the longest name that ends in a suffix is taken.
_BP = (
    "(?:(?!["
    + re.escape(
        _NOT_IN_PLACE.replace("省", "")
        .replace("市", "")
        .replace("会", "")
        .replace("太", "")
        .replace("区", "")
        .replace("医", "")
        .replace("院", "")
        .replace("都", "")
    )
    + "])[\u4e00-\u9fff0-9A-Za-z])"
)
_BUILDING = (
    rf"(?:(?![0-9]){_BP}{{2,12}}(?:{_PLACE_SUFFIX[3:-1]}|小学|中学|大学|学校|幼儿园|大楼|中心|公司|酒店|宾馆|饭店|医院)"
    rf"|(?![0-9]){_BP}{{2,10}}?(?={_UNITS}))(?:{_BP}{{0,4}}?(?:校区|院区|园区)|[东西南北中]?区)?"
)
# What a shop or meeting place adds after the building and floor: 2号楼底商, 一层咖啡厅.
_TAIL = (
    r"(?:底商|门面房?|门市部?|商铺|铺面|门脸|临街房?|大堂|前台|咖啡厅|咖啡馆|餐厅|饭店|茶馆|茶楼|"
    r"超市|便利店|药店|药房|诊所|门诊部|会议室|活动室)?"
)
# Province, city and district, which stay, between a cue and the street: 家在昆明市盘龙区北京路…
# a university and its campus before a hall of residence: 浙江大学紫金港校区蓝田学园2舍318
_CAMPUS = rf"(?:{_BP}{{2,10}}?(?:大学|学院)(?:{_BP}{{0,6}}?校区)?)"
_COUNTY = rf"(?:{_PN}{{1,7}}?(?:省|自治区|市|自治州|地区|区|县|旗))"
_ADDRESS_CUE = r"(?:家住|住址|地址|现住|居住在|居住于|住在|家在|寄到|送到|收货地址|户籍地|户口在)"

_ADDRESS_RULES = (
    # road with a number, then maybe a community and units: 朝阳区建国路88号院3号楼
    Rule(
        "address",
        re.compile(
            rf"{_ADMIN}*{_ROAD}{_NUMBER}(?:{_NUMBER}){{0,2}}(?: ?{_BUILDING}){{0,2}}(?:{_UNITS}|{_ROOM})?{_TAIL}"
        ),
        50,
    ),
    # community with building, unit or room: 幸福小区3栋2单元501, 阳光花园12-3-502
    Rule(
        "address",
        re.compile(
            rf"{_ADMIN}*(?:{_ROAD})?{_CAMPUS}?{_PLACE}(?:{_UNITS}|{_ROOM}|[，,、]{_UNITS}){_TAIL}"
        ),
        50,
    ),
    # an estate named without a suffix, then building and room: 星河明居2栋18B
    Rule(
        "address",
        re.compile(
            rf"{_P}{_PN}{{1,5}}?(?=[0-9一二三四五六七八九十]{{1,3}} ?(?:栋|幢|座|号楼|舍|斋))(?:{_UNITS})"
        ),
        50,
    ),
    # town and village, maybe a group: 城关镇李家村3组
    Rule(
        "address",
        re.compile(rf"{_ADMIN}*{_P}{_PN}{{0,5}}?(?:镇|乡){_P}{_PN}{{0,5}}?村(?:{_UNITS})?"),
        51,
    ),
    Rule(
        "address",
        re.compile(
            rf"{_ADMIN}*{_P}{_PN}{{0,5}}?村[，, ]?(?:第 ?)?{_NUM} ?(?:村民小组|小组|组|队|社)"
        ),
        51,
    ),
    # building, unit and room with no estate named: 三号楼二单元502
    Rule(
        "address",
        re.compile(
            rf"(?<![0-9A-Za-z]){_NUM} ?(?:号楼|栋|幢|座) ?{_NUM} ?单元 ?[0-9]{{3,4}}(?:室|房|号)?(?![0-9])"
        ),
        51,
    ),
    # after a keyword that says an address follows: 住在阳光小区, 地址：某某路
    Rule(
        "address",
        re.compile(
            rf"{_ADDRESS_CUE}[ :：是]{{0,2}}{_COUNTY}*(?P<v>{_ADMIN}*(?:{_ROAD}|{_ESTATE})"
            rf"(?:{_NUMBER})?(?:{_BUILDING}){{0,2}}(?:{_UNITS}|{_ROOM})?{_TAIL})"
        ),
        52,
    ),
)

_ROAD_ANCHOR = re.compile(
    "|".join(
        ["路", "街", "巷", "弄", "大道", "胡同", "东道", "西道", "南道", "北道"]
        + [c + "道" for c in _HK_ROAD]
    )
)
_UNIT_ANCHOR = re.compile("栋|幢|座|室|户|单元|号楼|房间|舍|斋|公寓")
_VILLAGE_ANCHOR = re.compile("村")
ADDRESS_RULES = (
    anchored(_ADDRESS_RULES[0], _ROAD_ANCHOR, 24, 60),
    anchored(_ADDRESS_RULES[1], _UNIT_ANCHOR, 40, 30),
    anchored(_ADDRESS_RULES[2], re.compile("栋|幢|座|号楼|舍|斋"), 10, 20),
    anchored(_ADDRESS_RULES[3], _VILLAGE_ANCHOR, 20, 24),
    anchored(_ADDRESS_RULES[4], _VILLAGE_ANCHOR, 10, 12),
    anchored(_ADDRESS_RULES[5], re.compile("单元"), 12, 10),
    anchored(_ADDRESS_RULES[6], re.compile(_ADDRESS_CUE[3:-1]), 0, 80),
)
