"""Person and doctor names in free text: a surname list, the words around a name, and the
characters a given name never holds.

These cue rules find a name where the text says it is one: after ``我叫`` / ``我老公叫`` /
``患者``, before an honorific (``张先生``, ``陈阿姨``, ``胡伯``), before or after a doctor's title
(``王主任``, ``——刘建华 主治医师``). A bare surname with nothing around it is left alone
(``我姓陈``). Names with no cue word are the name model's (:mod:`.namemodel`).
"""

from __future__ import annotations

import re

from medqa.deid.rules import Rule, anchored

# Common single-character surnames (about 400, covering well over 95% of people), minus the few
# that are everyday function words in front of a title (向医生请教, 和阿姨一起, 小于, 时医生说).
SINGLE_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏洪常"
    "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚"
    "邵万钱严覃武戴莫孔汤温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳"
    "甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳柴蒙鲍华喻祁蒲房滕屈饶"
    "牟艾尤穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂佟臧闵苟"
    "邬卞姬仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池苑迟邝官封匡鞠惠荆乐冀郁胥南"
    "储栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻厉伊仝郜阚花权帅屠豆朴盖练廉禹井祖漆巴丰支卿"
    "狄索宣晋初门云容敬扈晁芮阙浦戈伏鹿薄邸雍辜羊乌裘亓修邰赫杭宿鲜印逯隆茹"
    "诸慕危玉银亢嵇湛宾戎勾茅利於居揭尉冶斯束檀衣展昝智奉植衡富尧闭解计"
    "贝赖萧凤昌牧巢弘鄂蓬寿谈荀糜宓郗仰钮韶蓟莘贡逄堵宰郦璩濮郏宦庾暨殳蔚夔厍訾毋乜蒯竺桓酆羿汲邴隗钭"
)
DOUBLE_SURNAMES = (
    "欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|长孙|宇文|司徒|夏侯|轩辕|令狐|钟离|端木|南宫|"
    "西门|独孤|百里|呼延|万俟|澹台|公冶|太史|申屠|赫连|第五"
)
# Characters that do not occur in given names: clinical words, function words, numerals,
# kinship and masking characters (刘某某 is already masked).
NOT_IN_GIVEN_NAME = (
    "的了是在和与或及就都也还又再很太更最不没无未别已被把让给对从向往到于为以因所而且但却"
    "吗呢吧啊呀哦嘛么着过去说讲问答看查做吃喝打用要想会能该应得到找请叫姓名称某"
    "我你他她它们这那哪谁什怎样今昨谢年日号时分秒周岁次个位些每各第"
    "二三四五六七八九十百千万两几半多少大老男女先士姐哥弟妹爸妈爷奶叔姨伯舅姑婆公孩儿子"
    "村病症痛疼炎癌瘤肿细胞侧疸带人烦苦血压糖脂尿便咳嗽喘烧热冷痒酸胀麻晕吐泻药片剂针液膏丸粒支盒"
    "医院科室诊检验测治疗术输住床护主任师教授患者属市县区镇乡省"
    "头脑眼耳鼻口牙舌喉颈肩胸背腹腰臀腿脚手臂肝胆胰脾肾胃肠肺骨皮肤"
    "上下左右前后里外中间内高低正常异偏加减增降升服停止开始结果情况问题这样"
    "，。！？、；：（）()【】《》“”‘’…—-·,.!?;: \n\t0123456789"
)
_GIVEN = "(?:(?![" + re.escape(NOT_IN_GIVEN_NAME) + "])[\u4e00-\u9fff])"
_SURNAME = f"(?:{DOUBLE_SURNAMES}|[{SINGLE_SURNAMES}])"
# 子 and 年 only where names hold them: 林子涵, 甘永年 (not 孙子, 明年);
SURNAME = _SURNAME
# 大 and 中 only as the first of two given-name characters: 陆大成, 贺中华 (not 王大夫, 高中)
FULL_NAME = f"{_SURNAME}(?:[子大中]{_GIVEN}|{_GIVEN}(?:{_GIVEN}|年)?)"
_AFTER_NAME = (
    r"(?=$|[\s，。,.！!？?、；;：:）)（(0-9”\"」』]|今年|现在|目前|最近|近来|之前|前几|上个|上次|上周|上月|这次|这几|"
    r"从小|平时|一直|发烧|发热|咳嗽|感冒|拉肚|腹泻|呕吐|头疼|头痛|肚子|生病|住院|确诊|检查|体检|出院|"
    r"手术|术后|总是|老是|经常|怀孕|怀了|[两三四五六七八九几]个(?:人)?|心脏|血压|血糖|身体|腰|腿|眼睛|产后|昨晚|今早|"
    r"女士|先生|同志|是|的|在|有|得|患|被|因|于|，|男|女|岁|今天|昨天|去年|前天|和|与|跟|也|都|"
    r"住|说|问|做|查|吃|去|来|刚|已|才|就|还|又|也|老|自|身|经|我|他|她|这|那|啊|呢|吗|今|出|没|不)"
)
_RELATIVE = (
    r"(?:老公|老婆|爱人|丈夫|妻子|媳妇|儿子|女儿|孩子|宝宝|宝贝|闺女|小孩|爸爸|爸|妈妈|妈|父亲|母亲|"
    r"爷爷|奶奶|外公|外婆|姥姥|姥爷|哥哥|哥|姐姐|姐|弟弟|弟|妹妹|妹|婆婆|公公|岳父|岳母|朋友|同事|"
    r"舅舅|姑姑|叔叔|阿姨|侄子|侄女|外甥|外甥女|孙子|孙女|家属|对象|男朋友|女朋友|邻居|同学|"
    r"大伯|伯伯|大姨|二姨|小姨|大舅|表弟|表妹|表姐|表哥|堂哥|堂姐|堂弟|堂妹|前夫|前妻|姐夫|妹夫|嫂子|"
    r"弟媳|儿媳|女婿|二叔|三叔|小叔|病友|老爸|老妈|娘|爹|老伴儿|老伴|先生|太太|夫人|干妈|干爹|继父|继母|养父|养母|"
    r"婶婶|伯母|舅妈|舅舅|姑父|姑妈|姨父|姨妈|大嫂|二嫂|大姑|小姑|二舅|小舅|亲家|闺蜜|发小|室友|阿爸|阿妈|老大|老二|老三)"
)
# What may stand between a cue and the name: 姓名叫, 写成了“, a relative (我是他女儿 张…).
_CUE_TRAILER = (
    r"(?:姓名|的名字)?(?:叫|名叫|是|为|写成了?|写的是|登记成了?|登记的是|填成了?|填的是)?"
    r"[ :：（(，,]{0,2}(?:(?:表|堂)?" + _RELATIVE + r" ?)?[“\"「『]?"
)
_PERSON_CUE = (
    r"(?:我是|我係|本人叫|本人是|本人|本名(?:是|叫)?|原名(?:是|叫)?|(?:患者|病人|就诊人)信息[ :：]|名叫|名字叫|名字是|名字(?=写|登记|填|打成|印|录)|"
    r"(?<=[妈爸爹娘爷奶公婆子儿女夫妻哥姐弟妹叔姨舅姑])的?名字|中文名叫|中文名字叫|中文名|大名|"
    r"(?<=[我他她俺你名字儿子女孩妈爸爹娘爷奶公婆友事哥姐弟妹夫妻叔姨舅姑机人宝板主长，,\s])叫|姓名|"
    r"(?:孩子|宝宝|宝贝)的?(?:爸爸|妈妈|父亲|母亲|爸|妈|家长)|申请人|寄件人|被绑定人|预约人|监护人|"
    r"受益人|经办人|陪护人|群主|店主|全名|"
    r"(?:患者|病人|病患)(?=姓名|[ :：])|(?<=床)(?:患者|病人)|"
    r"就诊人|联系人|收件人|收款人|收款户名|户名|开户人|开户名|持卡人|账户名|被保险人|投保人|参保人|伤者|"
    r"委托人|签字人|签字(?=[ :：])|(?<=[\u4e00-\u9fff])人(?=[ :：])|"
    r"(?:单|表|卡|证|本|条|牌|栏)上?(?:写的是|写着|填的是|签的是|印着|印的是)|记录人|登记人|填表人|报告人|录入人|负责人|代理人|担保人|对接人|家属|(?<![\u4e00-\u9fff])我(?=[:：])|(?:叫|喊|称呼)(?:他|她)|(?:管|称)(?:他|她)(?:叫|为)|"
    r"(?<=[0-9０-９]床))" + _CUE_TRAILER
)
# 我老公, 她的女儿, 您父亲, 我和老伴儿: a rule of its own, whose first character re can look for
_RELATIVE_CUE = r"(?:我|他|她|俺|你|您)(?:的|家|和)?" + _RELATIVE + _CUE_TRAILER
_HONORIFIC = (
    r"(?:先生|女士|小姐|阿姨|叔叔|大爷|大妈|大娘|大姐|大哥|奶奶|爷爷|婆婆|老师|师傅|同学|阿婆|伯伯|"
    r"老太太|老爷子|老先生|姐|哥)"
)
_DOCTOR_TITLE = (
    r"(?:主任医师|副主任医师|主治医师|主治医生|住院医师|医师|医生|大夫|副主任|主任|教授|副教授|"
    r"院长|副院长|护士长|护士|护师)"
)
_DOCTOR_LEAD = (
    r"(?:(?:主治医生|主管医生|主刀医生|主治医师|主任医师|副主任医师|值班医生|管床医生|经治医生|"
    r"接诊医生|首诊医生)(?:叫|是|姓名)?|(?:主刀|主治|主管|管床)的?(?:是|叫)"
    r"|(?:(?:接诊|责任|值班|主管)?(?:医生|医师|大夫|护士长|护士|护师|主任|教授|院长)|主诊|接诊|签名|回复人|答复人)"
    r"(?:叫|是|姓名|(?=[ :：])))"
)
# What may follow a name in a case header or a list of particulars: 张三，男，45岁; 何海燕，住院号
_PARTICULARS = (
    r"(?=[，,、 （(]{1,2}[男女](?:性)?(?:[，,、 ]{0,2}\d{1,3} ?(?:岁|周岁)|[，,、 ]{1,2}(?:出生|生日|身份证|住院号|门诊号|病历号|籍贯|民族|年龄|职业|婚姻|现住))|[，,、 ]{1,2}\d{1,3} ?(?:岁|周岁)"
    r"|[，,、 （(]{1,2}(?:住院号|门诊号|病历号|"
    r"就诊卡|身份证|手机|电话|联系电话|出生|生日)"
    r"|[，,、 ]{1,2}(?:\+?86[ \-]?)?1[3-9][0-9][ \-]?[0-9]{4}[ \-]?[0-9]{4}(?![0-9]))"
)
# Words that say a name follows, whatever its characters (transliterations, names without a
# common surname): 他的中文名叫颂猜, 患者阿依古丽，女，41岁.
_NAME_WORD = (
    r"(?:中文名叫|中文名字叫|中文名是|全名叫|全名是|全名|真名叫|真名是|真名|(?<=[我他她]的)名字|"
    r"(?<=[他她我你人友子儿女夫妻公婆爸妈姐哥弟妹])(?:的名字叫|名字叫|名叫)|"
    # a strong cue before a name of any people (我叫其木格, 姓名：达瓦次仁, 我女儿叫乌日娜)
    r"(?:^|(?<=[\s，。,.！!？?；;]))我叫|姓名(?:是|为)?|(?<=[我他她你人友子儿女夫妻公婆爸妈姐哥弟妹])的?名字是|"
    r"(?<=儿子|女儿|孩子|宝宝|闺女|老公|老婆|爱人|妻子|丈夫|爸爸|妈妈|阿爸|阿妈|婆婆|奶奶|爷爷|老大|老二|老三)叫|本名(?:是|叫)?)"
)
# A department or unit before a name signs an answer: 心理科 黄晓燕, ——生殖医学中心 吴瑾.
_UNIT = r"[\u4e00-\u9fff]{0,12}?(?:科|中心|门诊|病区|专科|电生理)"

# Words that start with a surname but are no name: places (我是宁波的) and clinical words (我爸房颤).
_NOT_NAME_WORDS = (
    "宁波 南宁 南京 南昌 南通 南充 南阳 温州 金华 成都 兰州 包头 吉林 "
    "江门 江西 江苏 湛江 安徽 安庆 安阳 商丘 岳阳 衡阳 柳州 桂林 沈阳 "
    "齐齐 龙岩 梅州 惠州 汤阴 黄山 黄冈 黄石 石家 秦皇 郑州 徐州 常州 "
    "房颤 白带 黄疸 高血 高热 高烧 包块 毛发 甘油 单侧 周身 周围 孙子 "
    "马上 林格 何时 江湖 金黄 石膏 叶酸 程度 谷丙 谷草 申请 尤其 杜冷 "
    "雷贝 苏醒 温度 温水 康复 方面 方法 白天 白色 白细 蓝色 常规 常见 "
    "常用 常常 农村 严重 乔迁 武汉 伍德 易感 邢台 余下 田间 姜黄 干咳 "
    "干燥 干眼 祝您 祝你 华法 舒张 舒服 严格 阳性 谈判 常表 容易 危险 周边 冷感 高龄 干呕 "
    "明白 明显 明确 夏天 明天 明早 明晚 明后 明日 成天 连天 谢谢 祝好 祝福 祝愿 "
    "初产 初孕 初次 初诊 初期 初中 初步 初始 解惑 "
    "车辆 车祸 车上 车里 车费 关系 关于 关注 关节 关心 关键 关闭 "
    "解决 解释 解除 解剖 解毒 解热 解痉 解放 解开 解压 解酒 计划 计算 计量 计数 计时 "
    "高中 初中 高大 庞大 盛大 居中 文中 车中 房中 林中 江中 池中 宫中 路中 丛中 田中 "
    "应该 应当 应是 应有 应在 于是 于此 向来 向前 向后 向上 向下 向左 向右 宝宝 "
    "温哥 卫生 银行 安哥 任何 祝健 母亲 糜烂 钟爱 羊癫 羊角 沙棘 高危 高度 高发 高于 低于 常态 严禁 单纯 单独 单位 单次 "
)
NOT_NAMES = frozenset(_NOT_NAME_WORDS.split())


# Words whose second character is a surname: 检查, 正常, 健康, 亲戚, 邻居 (检查医生, 亲戚叔叔).
_WORDS_ENDING_IN_SURNAME_TEXT = (
    "检查 理解 正常 疫苗 健康 情况 信任 体温 亲戚 邻居 清楚 父母 比较 严重 安全 发现 表现 出现 "
    "容易 小时 同时 及时 按时 平时 时间 原因 另外 其他 以及 一般 很多 特别 明显 经常 通常 异常 "
    "正在 帮助 保持 坚持 主要 需要 重要 一定 肯定 稳定 决定 规定 以后 然后 之后 最后 饭后 "
    "胆红 血管 黄金 人民 农民 居民 东方 西方 南方 北方 地方 对方 处方 配方 药方 双方 上周 本周 下周 每周 谢谢 感谢 多谢 任何 如何 为何 几何 "
    "明白 空白 蛋白 坦白 黑白 清白 平安 治安 公安 晚安 早安 保安 "
    "了解 缓解 溶解 分解 见解 讲解 误解 统计 设计 估计 总计 合计 会计 伙计 累计 "
    "病房 药房 产房 机房 厨房 住房 库房 心房 乳房 书房 新房 门房"
)
_WORDS_ENDING_IN_SURNAME = frozenset(_WORDS_ENDING_IN_SURNAME_TEXT.split())


# After a word that says a name follows, the characters of Tibetan and Mongolian names too
# (次仁, 格日勒, 乌日娜), which Han given names rarely hold.
_NAMED_GIVEN_NOT = re.escape(NOT_IN_GIVEN_NAME.replace("次", "").replace("日", ""))
_NAMED_GIVEN = "(?:(?![" + _NAMED_GIVEN_NOT + "])[\u4e00-\u9fff])"


def _not_a_word(value: str, text: str, start: int) -> bool:
    """A name candidate that is no word of prose: neither its first two characters nor the
    character before it and its first one form a common word, and it is no prefecture or
    county name (我是常德的)."""
    before = text[max(0, start - 1) : start + 1]
    places = _places()
    return (
        value[:2] not in NOT_NAMES
        and before not in _WORDS_ENDING_IN_SURNAME
        and not any(word in value for word in _WORDS_NO_NAME_HOLDS)
        and value not in places  # the whole of it: 江海涛 is no 江海
    )


def _no_kin_word(value: str, text: str, start: int) -> bool:
    """A name after a cue that is no relative (我叫朋友) and no common word."""
    return value not in _RELATIVES and value[:2] not in NOT_NAMES


def _places() -> frozenset[str]:
    """The place names of :mod:`.nametables` (read on first use: it imports this module)."""
    global _PLACES
    if _PLACES is None:
        from medqa.deid.nametables import load_places

        _PLACES = load_places()
    return _PLACES


_PLACES: frozenset[str] | None = None

# Words no given name holds (the characters alone may: 可欣, 天宇).
_WORDS_NO_NAME_HOLDS = ("可以", "可能", "可是", "天天", "天气", "可爱")


# Characters that make "X医生" a word, not a surname + title: 主任医生, 多谢医生, 男医生.
_NOT_BEFORE_TITLE = "主副男女好名该位当这那各每感多一二两三几备责"

# After a cue, the surnames left out as function words elsewhere (于, 应, 向: 联系人：于海) and a
# doubled name character (宝宝叫朵朵, 我女儿叫依依) are names too.
_CUED_FULL_NAME = f"(?:{_SURNAME}|[于应向])(?:[子大中]{_GIVEN}|{_GIVEN}(?:{_GIVEN}|年)?)"
_CUED_NAME = (
    rf"(?P<v>{_CUED_FULL_NAME}|[小老]{_SURNAME}|(?<=叫)小{_GIVEN}|(?<=叫)(?P<dup>{_GIVEN})(?P=dup)"
    rf"|{_SURNAME}老(?=[，。,.！!？?、；;\s”\"」』]|$)){_AFTER_NAME}"
)

_NAME_RULES = (
    # a doctor: 王主任, 李医生, 张伟教授, 刘建华 主治医师
    Rule(
        "doctor_name",
        re.compile(
            rf"(?<![{_NOT_BEFORE_TITLE}]){_SURNAME}(?:[子大中]{_GIVEN}|{_GIVEN}{{0,2}})[”\"」]? ?"
            + _DOCTOR_TITLE
        ),
        40,
        _not_a_word,
    ),
    # a signature or attribution: 医生：王建国, 主治医生雷振东, ——骨科 宋振华, 乳腺外科的袁丽萍
    Rule(
        "doctor_name",
        re.compile(
            rf"(?:{_DOCTOR_LEAD}[ :：]{{0,2}}|[—\-]{{1,2}} ?(?:{_UNIT} ?)?|{_UNIT}(?: |的))"
            rf"(?P<v>{FULL_NAME}){_AFTER_NAME}"
        ),
        41,
        _not_a_word,
    ),
    # a person with an honorific: 张先生, 李女士, 陈阿姨; a full name only at a word start
    Rule("person_name", re.compile(rf"{_SURNAME}{_HONORIFIC}"), 42, _not_a_word),
    Rule(
        "person_name",
        re.compile(
            rf"(?:^|(?<=[^\u4e00-\u9fff]|[我他她你的和与跟是叫给]))(?:{FULL_NAME}){_HONORIFIC}"
        ),
        42,
        _not_a_word,
    ),
    # a person introduced as one: 我叫王建国, 我老公叫李志强, 我儿子王小明, 患者：刘芳, 联系人：小周
    Rule("person_name", re.compile(_PERSON_CUE + _CUED_NAME), 43, _not_a_word),
    # a case header: 张三，男，45岁 / 患者李四（女，32岁）; after 患者 any name (阿依古丽，女，41岁)
    Rule(
        "person_name",
        re.compile(
            rf"(?:^|(?<=[\s，。,；;：:、（(“\"「]|者|人))"
            rf"(?P<v>{FULL_NAME}|(?<=患者|病人|者:|者：|者 |人:|人：|人 ){_GIVEN}{{2,5}})"
            + _PARTICULARS
        ),
        43,
        _not_a_word,
    ),
)

_NAME_RULES += (
    # the doctor's full name after his surname and title: 何医生，何晓东; 杜医生 是不是杜明辉
    Rule(
        "doctor_name",
        re.compile(
            rf"(?P<s>{_SURNAME}) ?{_DOCTOR_TITLE}(?:[，, （(]{{1,2}}| ?(?:是不是|就是|是|叫) ?)"
            rf"(?P<v>(?P=s){_GIVEN}{{1,2}}){_AFTER_NAME}"
        ),
        40,
    ),
    # a greeting: 小卢你好, 邓晓琳您好
    Rule(
        "person_name",
        re.compile(rf"(?:^|(?<=[\s，。,：:！!]))(?P<v>[小老]{_SURNAME}|{FULL_NAME})(?=你好|您好)"),
        43,
        _not_a_word,
    ),
    # a name after a word that says one follows, in any characters up to the next stop
    Rule(
        "person_name",
        re.compile(
            rf"{_NAME_WORD}[ :：]?(?P<v>{_NAMED_GIVEN}{{2,5}})(?=[\s，。,.！!？?、；;）)]|$)"
        ),
        43,
        _no_kin_word,
    ),
    # a patient named by whose relative writes: 我是患者程丽的家属, 病人王建国的女儿
    Rule(
        "person_name",
        re.compile(
            rf"(?:患者|病人|病友|老人)(?P<v>{FULL_NAME})(?=的?(?:家属|家人|陪护|监护人|{_RELATIVE}))"
        ),
        43,
        _not_a_word,
    ),
    # a person introduced by a relative: 我老公叫李志强, 您父亲孟庆山
    Rule("person_name", re.compile(_RELATIVE_CUE + _CUED_NAME), 43, _not_a_word),
)

_NAME_RULES += (
    # an elder by surname and one kin word, the word standing alone: 8床的胡伯, 王叔，
    Rule(
        "person_name",
        re.compile(
            rf"(?:^|(?<=[^\u4e00-\u9fff]|[的是叫和跟找给问]))(?P<v>{_SURNAME}[伯叔婶嫂姨])(?![\u4e00-\u9fff])"
        ),
        42,
        _not_a_word,
    ),
)

_TITLE_ANCHOR = re.compile(_DOCTOR_TITLE)
_SIGNATURE_ANCHOR = re.compile(
    "|".join(
        [
            f"{lead}{tail}"
            for lead in ("医生", "医师", "大夫", "护士", "护师", "主任", "教授", "院长")
            for tail in ("：", ":", " ", "叫", "是")
        ]
        + [
            f"{unit}{tail}"
            for unit in ("科", "中心", "门诊", "病区", "电生理")
            for tail in (" ", "的")
        ]
        + [
            "值班医生",
            "管床医生",
            "经治医生",
            "接诊医生",
            "首诊医生",
            "主治医生",
            "主管医生",
            "主刀医生",
            "主治医师",
            "主任医师",
            "主诊",
            "接诊",
            "主刀是",
            "主刀的是",
            "主治是",
            "主治的是",
            "主管是",
            "管床的是",
            "签名",
            "回复人",
            "答复人",
            "—",
            "--",
        ]
    )
)
_TITLE_THEN_NAME = re.compile(
    "|".join(
        f"{title}{tail}"
        for title in ("医生", "大夫", "医师", "主任", "教授")
        for tail in ("，", ",", " ", "是", "叫")
    )
)
_HONORIFIC_ANCHOR = re.compile(_HONORIFIC)
_RELATIVES = _RELATIVE[3:-1].split("|")
_CUE_ANCHOR = re.compile(
    r"我:|我：|我是|我係|本人|本名|原名|信息：|信息:|名叫|名字|中文名|大名|叫|姓名|患者:|患者：|患者 |床患者|病人:|病人：|病人 |床病人|病患:|"
    r"病患：|病患 |就诊人|联系人|收件人|收款|户名|开户|持卡人|"
    r"账户名|被保险人|投保人|参保人|伤者|委托人|签字人|家属|孩子爸|孩子妈|孩子的爸|孩子的妈|宝宝爸|宝宝妈|宝宝的爸|宝宝的妈|"
    r"孩子父|孩子母|孩子家长|宝贝爸|宝贝妈|申请人|寄件人|被绑定人|预约人|监护人|受益人|经办人|陪护人|"
    r"群主|店主|全名|签字|人：|人:|人 |写的是|写着|填的是|签的是|印着|印的是|记录人|登记人|填表人|报告人|录入人|负责人|代理人|担保人|对接人|喊他|喊她|称他|称她|称呼|管他|管她|"
    + "|".join(
        f"{child}{link}{parent}"
        for child in ("孩子", "宝宝", "宝贝")
        for link in ("", "的")
        for parent in ("爸", "妈", "父亲", "母亲", "家长")
    )
)
# 我老公, 她的女儿, 我家孩子: a class first, so re still skips most positions fast
_RELATIVE_ANCHOR = re.compile("[我他她俺你您](?:的|家|和)?(?:" + "|".join(_RELATIVES) + ")")
NAME_RULES = (
    anchored(_NAME_RULES[0], _TITLE_ANCHOR, 5, 8),
    anchored(_NAME_RULES[1], _SIGNATURE_ANCHOR, 14, 12),
    anchored(_NAME_RULES[2], _HONORIFIC_ANCHOR, 3, 6),
    anchored(_NAME_RULES[3], _HONORIFIC_ANCHOR, 5, 6),
    anchored(_NAME_RULES[4], _CUE_ANCHOR, 3, 24),
    # 19床 郭凤英: a class first (digits are everywhere; a word list would try each one)
    anchored(_NAME_RULES[4], re.compile("[0-9０-９]床"), 3, 24),
    anchored(_NAME_RULES[10], _RELATIVE_ANCHOR, 0, 24),
    # single words, not a class: they join the one pass over every anchor word
    anchored(_NAME_RULES[11], re.compile("伯|叔|婶|嫂|姨"), 2, 1),
    anchored(
        _NAME_RULES[5],
        re.compile("岁|住院号|门诊号|病历号|就诊卡|身份证|手机|电话|出生|生日"),
        14,
        2,
    ),
    # the same rule before a mobile number, which its lookahead must see whole
    # (anchored on the number, not on the comma before it, which every text is full of)
    anchored(_NAME_RULES[5], re.compile(r"1[3-9][0-9][ \-]?[0-9]{4}[ \-]?[0-9]{4}"), 18, 2),
    anchored(_NAME_RULES[6], _TITLE_THEN_NAME, 4, 10),
    anchored(_NAME_RULES[7], re.compile("你好|您好"), 4, 0),
    anchored(
        _NAME_RULES[8],
        re.compile(
            "中文名|全名|真名|名字|名叫|我叫|姓名|儿叫|子叫|宝叫|公叫|婆叫|人叫|夫叫|爸叫|妈叫|奶叫|爷叫|大叫|二叫|三叫|本名"
        ),
        3,
        14,
    ),
    # anchored on what follows the name (患者 itself is in most answers): 的家属, 的女儿, 家属
    anchored(
        _NAME_RULES[9],
        re.compile(
            # the relatives that write for a patient: after every 的 of a text, the regex tries
            # each word that starts with 的
            "|".join(
                ["家属", "家人", "陪护", "监护人"]
                + [
                    f"的{rel}"
                    for rel in [
                        "女儿",
                        "儿子",
                        "爱人",
                        "老伴",
                        "妻子",
                        "丈夫",
                        "父亲",
                        "母亲",
                        "孩子",
                        "妈妈",
                        "爸爸",
                        "老公",
                        "老婆",
                    ]
                ]
            )
        ),
        8,
        4,
    ),
)

# An answer signed with a bare name at its very end: …下周四来复查。潘建军
SIGNATURE_AT_END = Rule(
    "doctor_name",
    re.compile(rf"[。！!.\n]\s*(?:——|—|--)?\s*(?P<v>{FULL_NAME})\s*$"),
    41,
    _not_a_word,
)


# Names in Latin letters after a word that says a name follows (我叫KIM MINJUN, 患者 John
# Miller, 护照上名字是IVANOVA ELENA, Mr. Smith): two or three words, each capitalised or in capitals
_LATIN_WORD = r"(?:[A-Z][a-z]{1,14}(?:-[A-Za-z][a-z]{1,10})?|[A-Z]{2,15})"
_LATIN_NAME = rf"{_LATIN_WORD}(?: {_LATIN_WORD}){{1,2}}"
# capitals that are no name: tests, scales, units and English words a Chinese text quotes
_NOT_LATIN_NAMES_TEXT = (
    "THE AND FOR WITH OF IN ON TO DNA RNA HPV HIV HBV HCV CT MRI PET ICU CCU TI RADS BI CKD COPD "
    "IGG IGM IGA ALT AST TSH FT FSH LH AMH HCG PRL ECG EKG EEG TCT NT PCR COVID SARS ABC VIP OK "
    "NO YES TYPE IV III II PLUS PRO MAX MINI APP WIFI USB"
)
_NOT_LATIN_NAMES = frozenset(_NOT_LATIN_NAMES_TEXT.split(" "))
_LATIN_CUE = (
    r"(?:我叫|我是|本人叫|名叫|名字叫|名字是|名字|英文名(?:字)?(?:叫|是)?|姓名|全名(?:是|叫)?|"
    r"(?:患者|病人|病患)[ :：]?|(?<=[我他她人友子儿女夫妻公婆爸妈姐哥弟妹])叫|"
    r"[Nn]ame(?: is|:)?|I am|I'm|I’m|This is|Mr\.?|Mrs\.?|Ms\.?|Miss|(?:[Mm]y )?(?:daughter|son|wife|husband|mother|father|mom|dad))"
)


def _latin_name(value: str, text: str, start: int) -> bool:
    """Every word of a name has a vowel and is no acronym or English word of the list."""
    words = value.split(" ")
    return all(w.upper() not in _NOT_LATIN_NAMES and re.search("[AEIOUYaeiouy]", w) for w in words)


LATIN_NAME_RULES = (
    anchored(
        Rule(
            "person_name",
            re.compile(rf"{_LATIN_CUE}[ :：]{{0,2}}(?P<v>{_LATIN_NAME})(?![A-Za-z])"),
            43,
            _latin_name,
        ),
        # the cue words, which join the one pass over every anchor word (患者 and 叫 alone,
        # in most answers, would cost a window each; the pinyin model finds names after them)
        re.compile(
            "我叫|我是|名叫|名字|英文名|姓名|全名|name|Name|Mr|Ms|Miss|I am|I'm|I’m|This is|daughter|son|wife|husband|mother|father|mom|dad"
        ),
        0,
        44,
    ),
    # one Latin word after 我叫 or 英文名, or a surname after Mr/Mrs/Ms: 我叫Lisa, Mrs. Smith
    anchored(
        Rule(
            "person_name",
            re.compile(
                r"(?:我叫|英文名(?:字)?(?:叫|是)?|Mrs?\.? |Ms\.? |Miss )[ :：]?(?P<v>[A-Z][a-z]{2,14})(?![A-Za-z\-])"
            ),
            44,
            _latin_name,
        ),
        re.compile("我叫|英文名|Mr|Ms|Miss"),
        0,
        20,
    ),
    # Dr. Li, Dr Wang Lei, Prof. Chen, 医生 Zhang Wei
    anchored(
        Rule(
            "doctor_name",
            re.compile(
                r"(?:Dr|Doctor|Prof|Professor)\.? ?(?P<v>[A-Z][a-z]{1,14}(?: [A-Z][a-z]{1,14}){0,2}"
                r"|[A-Z]{2,15}(?: [A-Z]{2,15}){0,2})(?![A-Za-z])"
            ),
            40,
            _latin_name,
        ),
        re.compile("Dr|Doctor|Prof"),
        0,
        40,
    ),
    # a department right before a name that ends the clause: 消化内科林志强。, 儿科郭晓娟，
    anchored(
        Rule(
            "doctor_name",
            re.compile(
                rf"(?:内科|外科|儿科|妇科|骨科|眼科|产科|中医科|皮肤科|口腔科|急诊科)(?P<v>{FULL_NAME})"
                r"(?=[。，,.！!；;\s]|$)"
            ),
            41,
            _not_a_word,
        ),
        # 科 alone, not the department words: a longer anchor word would hide 科 + space
        # from the signature rule's anchor in the one pass
        re.compile("科"),
        3,
        5,
    ),
    # an appointment booked with a doctor: 挂了谭斌的号, 挂的孔维佳主任的专家号
    anchored(
        Rule(
            "doctor_name",
            re.compile(
                rf"挂(?:了|过|的|上了?)?(?P<v>{FULL_NAME}){_DOCTOR_TITLE}?的(?:专家|特需|普通|专病)?号"
            ),
            40,
            _not_a_word,
        ),
        re.compile("挂了|挂过|挂的|挂上"),
        0,
        16,
    ),
)

# Names that a relation, a greeting or a payment names, with no pronoun before them.
_CLAUSE_START = r"(?:^|(?<=[\s，。,；;、！!？?：:]))"
# a relative after a stop (a relative anywhere is too common a word: a window at each cost 20%
# of the engine's time) or at the start of a text, which re tries at position 0 only
_KIN = sorted(_RELATIVES, key=len, reverse=True)
_KIN_FIRST = "".join(sorted({kin[0] for kin in _KIN} | {"表", "堂"}))
# a stop, then (a set lookup first, so most stops fail fast) a relative: a pass of its own
_KIN_AFTER_STOP = re.compile(
    r"[\s，。,；;、！!？?：:](?=[" + _KIN_FIRST + "])(?:表|堂)?(?:" + "|".join(_KIN) + ")"
)
_KIN_AT_START = re.compile("^(?:" + "|".join(_KIN) + ")")
# With no pronoun before the relative, the name must end its clause or start a list or an age
# (婆婆郑桂英三个人, 儿子邹子墨，生日…): "孩子包茎怎么办" names no one.
_NAME_ENDS_CLAUSE = r"(?=[\s，,、。；;）)]|$|和|与|跟|[两三四五六七八九几]个|今年|[0-9一二三四五六七八九十]{1,2}岁|昨晚|昨天|今天|今早|前天|最近|这几天|突然|一直|去年)"
# (two rules, not one with "(?:^|(?<=…))": a pattern that opens with a character class lets re
# skip ahead to the next stop in each window; the lookbehind cost the engine 20% of its time)
_KIN_NAME = r"(?:表|堂)?" + _RELATIVE + _CUE_TRAILER + _CUED_NAME + _NAME_ENDS_CLAUSE
_KIN_OPENS_CLAUSE = Rule(
    "person_name", re.compile(r"[\s，。,；;、！!？?：:]" + _KIN_NAME), 43, _not_a_word
)
_KIN_OPENS_TEXT = Rule("person_name", re.compile("^" + _KIN_NAME), 43, _not_a_word)
CONTEXT_NAME_RULES = (
    # a relative opening a clause: 婆婆郑桂英, 儿子邹子墨，生日…, 我和我老公王磊、婆婆郑桂英
    anchored(_KIN_OPENS_CLAUSE, _KIN_AFTER_STOP, 0, 24),
    anchored(_KIN_OPENS_TEXT, _KIN_AT_START, 0, 24),
    # a name greeted with the relation the writer has to it: 黄建平家属您好, 周雪芳妈妈您好
    anchored(
        Rule(
            "person_name",
            re.compile(
                _CLAUSE_START
                + rf"(?P<v>{FULL_NAME})(?=(?:的)?(?:家属|家长|妈妈|爸爸|奶奶|爷爷|外婆|姥姥)(?:你好|您好))"
            ),
            43,
            _not_a_word,
        ),
        re.compile("你好|您好"),
        9,
        0,
    ),
    # relatives addressed together: 胡建军、胡建红二位家属
    anchored(
        Rule(
            "person_name",
            re.compile(
                _CLAUSE_START
                + rf"(?P<v>{FULL_NAME})(?=(?:、{FULL_NAME})*(?:二位|两位|三位|几位)家属)"
            ),
            43,
            _not_a_word,
        ),
        re.compile("家属"),  # the word other anchors hold (二位家属 would hide it)
        16,
        0,
    ),
    # whom to ask for: 找李建军就行
    anchored(
        Rule(
            "person_name",
            re.compile(rf"找(?P<v>{FULL_NAME})(?=就行|就可以|就好|即可)"),
            43,
            _not_a_word,
        ),
        re.compile("就行|就可以|就好|即可"),
        5,
        0,
    ),
    # a bare 名字 before a full name: ，名字周雨菲，
    anchored(
        Rule(
            "person_name",
            re.compile(_CLAUSE_START + rf"名字(?:是|叫)?[ :：]?(?P<v>{FULL_NAME}){_AFTER_NAME}"),
            43,
            _not_a_word,
        ),
        re.compile("名字"),
        1,
        8,
    ),
    # the holder of a bank account: （建行，戚国平）, （浙商银行 许立群）
    anchored(
        Rule(
            "person_name",
            re.compile(
                rf"(?:银行|建行|工行|农行|中行|招行|交行|邮储|信用社)[ ，,：:]{{0,2}}(?P<v>{FULL_NAME})(?=[）)，,\s]|$)"
            ),
            43,
            _not_a_word,
        ),
        re.compile("银行|建行|工行|农行|中行|招行|交行|邮储|信用社"),
        0,
        8,
    ),
)

# A name said to be the writer's relative or friend: 巴特尔是我表哥, 刘小雨是我闺蜜
CONTEXT_NAME_RULES += (
    anchored(
        Rule(
            "person_name",
            re.compile(
                _CLAUSE_START
                + rf"(?P<v>{FULL_NAME}|{_NAMED_GIVEN}{{2,5}})(?=是我(?:的)?(?:表|堂)?"
                + _RELATIVE
                + r"(?![\u4e00-\u9fff]{0,1}(?:的|家)))"
            ),
            43,
            _no_kin_word,
        ),
        re.compile("是我"),
        7,
        0,
    ),
    # what relatives call the writer: 亲戚都叫我阿珍, 大家都叫我三丫
    anchored(
        Rule(
            "person_name",
            re.compile(
                rf"(?:都|们|人)叫我(?P<v>(?!别|不|去|来|快|多|少|先|再|赶紧|注意|小心|放心|回){_NAMED_GIVEN}{{2,3}})(?=[\s，,。；;]|$)"
            ),
            43,
            _no_kin_word,
        ),
        re.compile("叫我"),
        2,
        5,
    ),
)
