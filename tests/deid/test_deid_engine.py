"""The shared de-identification engine: each kind as people type it, clinical content kept,
kinds switchable, doctors' names kept on request, a second run changing nothing."""

from __future__ import annotations

from collections import Counter

import pytest

from medqa.deid import KINDS, PLACEHOLDERS, Deidentifier
from medqa.deid.evaluate import load_set
from medqa.deid.fold import fold
from tests.deid.conftest import DEV_SET

ENGINE = Deidentifier()


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("电话139 2847 6610，回个电话", "电话[电话]，回个电话", "phone"),
        ("我手机是一三七 六六八二 九零四一", "我手机是[电话]", "phone"),
        ("联系我：1 3 9 - 4 0 2 4 - 7 7 1 8", "联系我：[电话]", "phone"),
        ("科室电话（0571）87236666", "科室电话[电话]", "phone"),
        ("请拨 400-810-6622 转 3", "请拨 [电话]", "phone"),
        ("加我威信 w x 1 3 5 8 8 2 6 ,", "加我威信 [微信号] ,", "wechat"),
        ("V：doc_li88 备注", "V：[微信号] 备注", "wechat"),
        ("她QQ：Q Q 2 7 7 6 1 5 0 3 9，", "她QQ：[QQ号]，", "qq"),
        ("企鹅号 38475620", "企鹅号 [QQ号]", "qq"),
        ("身份证 4403 0419 5205 1234 17", "身份证 [身份证号]", "id_card"),
        ("邮箱 xueyeke_er ＠ kmch dot org dot cn。", "邮箱 [邮箱]。", "email"),
        ("发到 li.ming#163.com 吧", "发到 [邮箱] 吧", "email"),
        ("在ICU 6床住着", "在ICU [床号]住着", "bed"),  # the ward stays
        ("老年科加5床", "老年科[床号]", "bed"),
        ("住在38床加床，想换个病房", "住在[床号]，想换个病房", "bed"),  # a bed added to bed 38
        ("香港身份证M835201(4)，在港大看过", "香港身份证[身份证号]，在港大看过", "id_card"),
        ("證件：AB 402915（A） 謝謝", "證件：[身份证号] 謝謝", "id_card"),
        ("澳门居民，身份证号码 5230418(6)", "澳门居民，身份证号码 [身份证号]", "id_card"),
        ("住院号ZY20240317086，", "住院号[病历号]，", "medical_record"),
        ("我老公叫李志强，43岁", "我老公叫[姓名]，43岁", "person_name"),
        ("隔壁的张大爷平时", "隔壁的[姓名]平时", "person_name"),
        ("——心血管内科 刘建华 主治医师", "——心血管内科 [医生姓名]", "doctor_name"),
        ("住在幸福小区3栋2单元501，", "住在[地址]，", "address"),
        ("住在佛山市南海区南海大道北68号，", "住在佛山市南海区[地址]，", "address"),
        ("家住建设北大街156号华药小区3号楼2单元501", "家住[地址]", "address"),
        ("车牌 冀F·29Q76", "车牌 [车牌号]", "licence_plate"),
        ("农行卡 6228 4814 0000 0000 018", "农行卡 [银行卡号]", "bank_card"),
        ("回乡证 M12607438 01，", "回乡证 [证件号]，", "passport"),
        ("出生日期 1988.12.03，", "出生日期 [出生日期]，", "date_of_birth"),
        ("我的知乎ID也是 momo-1992-sh，", "我的知乎ID也是 [社交账号]，", "social_handle"),
        ("放在 https://pan.baidu.com/s/1Kq7mZrT3x 提取", "放在 [网址] 提取", "url"),
        ("我的博客 https://fatguy-diary.blogspot.com/ 记录", "我的博客 [网址] 记录", "url"),
        ("科室电话：028-85422114。四川大学", "科室电话：[电话]。四川大学", "phone"),
        ("谢谢吴医生！", "谢谢[医生姓名]！", "doctor_name"),
        ("加QQ 𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗 吧", "加QQ [QQ号] 吧", "qq"),
        ("我电话 ⑬⑧⑥ ⑦⑤②⑨ ⓪③①④，平台不让发", "我电话 [电话]，平台不让发", "phone"),
        ("能加你微信吗？我的是 sz_anxious_cat 。", "能加你微信吗？我的是 [微信号] 。", "wechat"),
        ("编号 TJ20231115-00382 是体检号，尿酸", "编号 [病历号] 是体检号，尿酸", "medical_record"),
        ("住院号好像是 Z23-07715。", "住院号好像是 [病历号]。", "medical_record"),
        (
            "医保卡在社区办的，号码 SB4401062018",
            "医保卡在社区办的，号码 [病历号]",
            "medical_record",
        ),
        ("他的中文名叫颂猜，", "他的中文名叫[姓名]，", "person_name"),
        ("患者阿依古丽，女，41岁", "患者[姓名]，女，41岁", "person_name"),
        ("示例：何海燕，住院号", "示例：[姓名]，住院号", "person_name"),
        ("我：陶永胜，男", "我：[姓名]，男", "person_name"),
        (
            "视频号也发了，搜 咳嗽宝宝妈 就行。4岁",
            "视频号也发了，搜 [社交账号] 就行。4岁",
            "social_handle",
        ),
        (
            "我的抖音被盗了！新号是 dy_xiaoyang2024 ，",
            "我的抖音被盗了！新号是 [社交账号] ，",
            "social_handle",
        ),
        ("坐标广州市越秀区东风中路437号越秀城市广场", "坐标广州市越秀区[地址]", "address"),
        ("住址 长江西路669号省气象局宿舍5栋202，", "住址 [地址]，", "address"),
        ("仁德街道三合村委会大村一组，", "[地址]，", "address"),
        ("我姐在星河明居2栋18B。", "我姐在[地址]。", "address"),
        ("微信昵称：快乐小猪，", "微信昵称：[微信号]，", "wechat"),
        ("威芯：abc_123456", "威芯：[微信号]", "wechat"),
        # Chinese numerals mixed one by one with digits
        ("回电请拨1三9 五2七0 8六1四，谢谢", "回电请拨[电话]，谢谢", "phone"),
        # a bed in Chinese numerals in a text with no digit at all
        ("床号：十二床", "床号：[床号]", "bed"),
        # a spelt-out QQ number with a word right after it
        ("群里：QQ 2 8 1 0 4 7 3 9 6 5 PT训练", "群里：QQ [QQ号] PT训练", "qq"),
        ("扣扣 3 1 0 9 4 7 2 8 6 B站也有", "扣扣 [QQ号] B站也有", "qq"),
        # a plate with a space inside
        ("我的车浙AF 26718停在", "我的车[车牌号]停在", "licence_plate"),
        ("住院号 No.0051234，", "住院号 No.[病历号]，", "medical_record"),
        ("快手号也是：kz20391847。", "快手号也是：[社交账号]。", "social_handle"),
        (
            "我的抖音，名字叫“跑步的胖橘”，",
            "我的抖音，名字叫“[社交账号]”，",
            "social_handle",
        ),
        ("链接 bit.ly/3xYz 看", "链接 [网址] 看", "url"),
        ("感谢孙护士，备皮护士", "感谢[医生姓名]，备皮护士", "doctor_name"),
        ("我在海淀区学院路38号北医三院旁边", "我在海淀区[地址]北医三院旁边", "address"),
        ("家在昆明市盘龙区北京路延长线金色半岛小区", "家在昆明市盘龙区[地址]", "address"),
        ("我儿子叫小宇，", "我儿子叫[姓名]，", "person_name"),
        ("我是92年10月5号生的", "我是[出生日期]生的", "date_of_birth"),
        ("门诊卡号：0001234567", "门诊卡号：[病历号]", "medical_record"),
        ("ID：zhangsan_88", "ID：[社交账号]", "social_handle"),
        ("孩子叫林子涵，", "孩子叫[姓名]，", "person_name"),
        ("她叫晏可欣，身份证", "她叫[姓名]，身份证", "person_name"),
        ("我是孩子爸爸钱伟。", "我是孩子爸爸[姓名]。", "person_name"),
        ("联系人：表姐 郝佳 ，", "联系人：表姐 [姓名] ，", "person_name"),
        ("就诊人是我爸，张德福，", "就诊人是我爸，[姓名]，", "person_name"),
        ("申请人：冯晓军  与", "申请人：[姓名]  与", "person_name"),
        ("群主：老焦，", "群主：[姓名]，", "person_name"),
        ("写着“欧阳建国 68岁 骨髓瘤”", "写着“[姓名] 68岁 骨髓瘤”", "person_name"),
        ("答：小卢你好，BMI", "答：[姓名]你好，BMI", "person_name"),
        ("下周四来复查X线。潘建军", "下周四来复查X线。[医生姓名]", "doctor_name"),
        ("那个“张立新”主任的号", "那个“[医生姓名]的号", "doctor_name"),
        ("姓名 解海燕 ，了解", "姓名 [姓名] ，了解", "person_name"),
        ("她1987年6月生，", "她[出生日期]生，", "date_of_birth"),
        ("保单号 P440106 2023 0098 7712", "保单号 [病历号]", "medical_record"),
        ("住院号从最早的 2019008812 到", "住院号从最早的 [病历号] 到", "medical_record"),
        ("看到请加我 luo_cm_find ，", "看到请加我 [微信号] ，", "wechat"),
        ("请联系 xunqin_zmd_1992 （微信）", "请联系 [微信号] （微信）", "wechat"),
        ("卖家闲鱼号 xianyu_yiliao88 ，", "卖家闲鱼号 [社交账号] ，", "social_handle"),
        ("昵称“陪妈妈抗癌的小胖”。", "昵称“[社交账号]”。", "social_handle"),
        ("在知乎写了长文，搜“白白的小兔子”", "在知乎写了长文，搜“[社交账号]”", "social_handle"),
        ("天河路385号太古汇一座19楼，", "[地址]，", "address"),
        ("鞍山西道278号天大北五村7号楼2门301", "[地址]", "address"),
        ("对面的如家酒店508房间", "对面的[地址]", "address"),
        ("老用户，真名陈国栋，住", "老用户，真名[姓名]，住", "person_name"),
        ("这个是我的名字邢军，可以吗", "这个是我的名字[姓名]，可以吗", "person_name"),
        ("老板叫严大伟，做推拿的", "老板叫[姓名]，做推拿的", "person_name"),
        ("大家都喊他孙老，", "大家都喊他[姓名]，", "person_name"),
        ("您母亲邹桂兰的复查", "您母亲[姓名]的复查", "person_name"),
        ("在人民北路18号3号楼底商，", "在[地址]，", "address"),
        ("我是三号楼二单元502的住户", "我是[地址]的住户", "address"),
        ("住在体育西路191号中石化大厦B塔", "住在[地址]", "address"),
        ("微.信：jkzx_888", "微.信：[微信号]", "wechat"),
        ("我的小红书是“小鱼的糖尿病日记”", "我的小红书是“[社交账号]”", "social_handle"),
        ("家属签字：屈志刚", "家属签字：[姓名]", "person_name"),
        ("我是患者程丽的家属", "我是患者[姓名]的家属", "person_name"),
        ("我闺女王梓涵发烧", "我闺女[姓名]发烧", "person_name"),
        ("接诊护士 任佳佳", "接诊护士 [医生姓名]", "doctor_name"),
        ("我们科的主任叫俞国平，很有名", "我们科的主任叫[医生姓名]，很有名", "doctor_name"),
        ("我和老伴儿邓淑珍都六十多了", "我和老伴儿[姓名]都六十多了", "person_name"),
        ("转诊单上写的是 唐宗明", "转诊单上写的是 [姓名]", "person_name"),
        ("送检人 路晓明", "送检人 [姓名]", "person_name"),
        ("我的ID是 xiaoming_2008", "我的ID是 [社交账号]", "social_handle"),
        ("他出生在1962年腊月", "他出生在[出生日期]", "date_of_birth"),
        ("民族路188号WFC环球金融中心", "[地址]", "address"),
        ("住院流水号：LS-20231010-0032", "住院流水号：[病历号]", "medical_record"),
        # names of any people after a word that says a name follows (no Han surname needed)
        ("我叫其木格，身份证还没带", "我叫[姓名]，身份证还没带", "person_name"),
        ("姓名：达瓦次仁，男", "姓名：[姓名]，男", "person_name"),
        ("我女儿叫乌日娜，今年9岁", "我女儿叫[姓名]，今年9岁", "person_name"),
        ("我的名字是格桑拉姆。", "我的名字是[姓名]。", "person_name"),
        # a relative opening a clause, a greeting to a relative, a payee, whom to ask for
        ("舅妈孔祥芬也一起来了", "舅妈[姓名]也一起来了", "person_name"),
        ("女儿郝梦琪，今年六岁", "女儿[姓名]，今年六岁", "person_name"),
        ("钱德海家属您好，结果出来了", "[姓名]家属您好，结果出来了", "person_name"),
        ("（工行，柏志远）谢谢", "（工行，[姓名]）谢谢", "person_name"),
        ("有事找冯海燕就行", "有事找[姓名]就行", "person_name"),
        ("，名字邱晓彤，", "，名字[姓名]，", "person_name"),
        # handles named as such, or straight after the platform's number word
        ("账号叫爱跑步的小鹿，", "账号叫[社交账号]，", "social_handle"),
        ("简书昵称 晚风吹过_，", "简书昵称 [社交账号]，", "social_handle"),
        ("快手号83012765493，", "快手号[社交账号]，", "social_handle"),
        # dates of birth in Chinese numerals or the Minguo calendar; a lunar date keeps 农历
        ("我是八九年十月三号生的", "我是[出生日期]生的", "date_of_birth"),
        ("民國82年4月9日出生", "[出生日期]出生", "date_of_birth"),
        ("农历1975年冬月初六生日", "农历[出生日期]生日", "date_of_birth"),
        # halls of residence on a campus; test slip numbers with letters; contacts spelt oddly
        ("寄到中山大学东校区至善园5舍213", "寄到[地址]", "address"),
        ("检查单号DR2402110087", "检查单号[病历号]", "medical_record"),
        ("扣 5820193746 找我", "扣 [QQ号] 找我", "qq"),
        ("微❤：lan_yue88", "微❤：[微信号]", "wechat"),
        ("zhou.lin【at】163.com", "[邮箱]", "email"),
        ("(+86) 139-0211-4587", "[电话]", "phone"),
        # round 8: dates of birth with a lunar or sexagenary part, a festival or the zodiac
        ("我是1972年壬子年三月初九出生的", "我是[出生日期]出生的", "date_of_birth"),
        ("1998年元旦出生", "[出生日期]出生", "date_of_birth"),
        ("民国四十一年五月生，", "[出生日期]生，", "date_of_birth"),
        ("属狗，1970年冬月生的", "[出生日期]生的", "date_of_birth"),
        # a handle a few words after the platform; a mobile told in comma-separated groups
        ("我在知乎上的名字是 爱喝茶的猫，", "我在知乎上的名字是 [社交账号]，", "social_handle"),
        ("电话一三九，二二八一，零四五六", "电话[电话]", "phone"),
        # a name said to be a relative or friend; a nickname relatives use; a body word after it
        ("于佳怡是我闺蜜，", "[姓名]是我闺蜜，", "person_name"),
        ("家里人都叫我小满，", "家里人都叫我[姓名]，", "person_name"),
        ("我姑妈任桂香心脏不好", "我姑妈[姓名]心脏不好", "person_name"),
        ("我叫Kevin，", "我叫[姓名]，", "person_name"),
        ("麻烦余中平医生看看", "麻烦[医生姓名]看看", "doctor_name"),
        ("天津大学31斋402", "[地址]", "address"),
        # round 9: more separators and spellings
        ("电话 138‧0011‧2233", "电话 [电话]", "phone"),
        ("台北 02-2771-4455", "台北 [电话]", "phone"),
        ("li_na【AT】qq【点】com", "[邮箱]", "email"),
        ("车牌浙 B 7 3 9 1 2，", "车牌[车牌号]，", "licence_plate"),
        ("1990年庚午马年的五月初五出生", "[出生日期]出生", "date_of_birth"),
    ],
)
def test_each_kind_as_people_type_it(text: str, expected: str, kind: str) -> None:
    counts: Counter[str] = Counter()
    assert ENGINE.redact(text, counts) == expected
    assert counts == Counter({kind: 1})


@pytest.mark.parametrize(
    "text",
    [
        "HBV-DNA 13800000000 copies/ml，上次15800000000 IU/ml",
        "我叫救护车，来得很快",
        "孩子叫肚子疼，奶奶叫疼，名字叫错了，姓名栏空着，姓名日期都要写，",
        "名字是什么？姓名、年龄、电话都要填；这款药的名字是达喜。",
        "宝宝最好各人睡一床，免得把被子带走",
        "盖了两床加床的被子还冷，明天买三床",
        "血压150/95mmHg，心率110次/分，空腹血糖7.8mmol/L",
        "阿托伐他汀钙片20mg qn，阿莫西林0.5g tid",
        "2024年3月5日就诊，3月12日复查，20261101复诊",
        "白细胞15.8×10⁹/L，PLT 150-450×10⁹/L，CRP 24mg/L",
        "I10 高血压，E11.9 糖尿病，EGFR 19del，BRCA1 突变",
        "我在广州，老家河南，转到心血管内科",
        "患者刘某某，男，45岁；电话138****5678",
        "我姓陈，女，29岁，检查医生说没事",
        "卧床3天，一床被子，q8h 给药",
        "转到CCU，新生儿ICU，内科二病区；标本号 20231208-0457",
        "四川大学华西医院，三月复查，一天三次",
        "这种饮料的名字叫曼哈顿；代码里 meta_info 和 W_v 是变量名，vx 是速度",
        "步骤①②③再④，⑤⑥",
        "抖音上搜减肥就有一堆3个",
        "他叫小心点，去医院路上3号车",
        "初产妇，28岁，孕39周；解惑医生说消化道3号药可以",
        "在微信或支付宝搜索“医保电子凭证”激活，住了3个房间",
        "我的名字不重要，孩子的名字还没起好，真名不详",
        "我儿子高中三年级，我女儿初中生，叫他去医院复查",
        "您父亲的血压偏高；用药改成了每天两次，剂量应该是5mg",
        "床旁心电图正常，他是古老的方法，敬老院的老人",
        "我爸大便不通，我妈中风了，我老公中午吃了药，我爸毛囊发炎",
        "床旁患者明早手术，患者的家属请到护士站",
        "主任说要复查，主任是对的；化验单上写着白细胞高；成人 每次1片",
        # a relative before a complaint is no name; an organisation's public account stays
        "孩子包茎怎么办，儿子高烧不退，小孩包茎是常见的",
        "微信公众号：健康科普站，关注后回复1",
        "被扣了123456元，医保扣 300元",
        # a year of birth alone is kept, as an age is
        "我是1979年出生的，属羊，86年属虎的老公",
        "我家老公糜烂性胃炎",
        # circRNA and gene ids are clinical content, though they hold an underscore and digits
        "hsa_circ_0091419、mmu_circ_0001、circ_0001946 和 circRNA_103191 上调",
    ],
)
def test_clinical_content_is_left_alone(text: str) -> None:
    assert ENGINE.find(text) == []


def test_a_name_once_found_is_replaced_wherever_it_is_written() -> None:
    text = "就诊卡号 0012873465，姓名 邓晓琳。医生：邓晓琳你好，结果出来了"
    counts: Counter[str] = Counter()
    assert (
        ENGINE.redact(text, counts)
        == "就诊卡号 [病历号]，姓名 [姓名]。医生：[姓名]你好，结果出来了"
    )
    assert counts == Counter({"medical_record": 1, "person_name": 2})


def test_a_doctor_named_by_surname_then_in_full() -> None:
    assert ENGINE.redact("我是骨科的何医生，何晓东。") == "我是骨科的[医生姓名]，[医生姓名]。"
    assert ENGINE.redact("杜医生 是不是杜明辉？") == "[医生姓名] 是不是[医生姓名]？"


def test_kinds_can_be_switched_off_and_placeholders_renamed() -> None:
    engine = Deidentifier(["phone", "record_no"], placeholders={"phone": "<PHONE>"})
    text = "电话13812345678，住院号ZY2024001，邮箱a_b@163.com，我叫王建国"
    assert engine.redact(text) == "电话<PHONE>，住院号[病历号]，邮箱a_b@163.com，我叫王建国"
    with pytest.raises(ValueError, match="unknown de-identification kind 'fax'"):
        Deidentifier(["fax"])


def test_doctor_names_kept_on_request_are_not_taken_for_patients() -> None:
    text = "王建国医生：多喝水。我叫李志强"
    assert ENGINE.redact(text) == "[医生姓名]：多喝水。我叫[姓名]"
    assert Deidentifier(keep_doctor_names=True).redact(text) == "王建国医生：多喝水。我叫[姓名]"


def test_a_date_an_id_card_in_the_text_encodes_is_a_birth_date() -> None:
    text = "温州的，1984年2月7日，身份证330302198402071234，复诊2024年3月5日"
    assert ENGINE.redact(text) == "温州的，[出生日期]，身份证[身份证号]，复诊2024年3月5日"
    # without the ID card, a bare date is a visit date and stays
    assert ENGINE.redact("温州的，1984年2月7日来过") == "温州的，1984年2月7日来过"


def test_a_second_run_changes_nothing() -> None:
    for case in load_set(DEV_SET):
        once = ENGINE.redact(case["text"])
        assert ENGINE.redact(once) == once, case["id"]


def test_the_folded_view_keeps_every_position() -> None:
    text = "一三八①②３＠ｑｑ。com——"
    assert len(fold(text)) == len(text)
    assert fold(text) == "13812３@qq.com--".replace("３", "3")


def test_every_kind_has_one_placeholder() -> None:
    assert set(PLACEHOLDERS) == set(KINDS)
    assert len(set(PLACEHOLDERS.values())) == len(KINDS)


@pytest.mark.parametrize(
    ("text", "expected", "kinds"),
    [
        (
            "生日是1990年5月2日，系统里登记成了1990年2月5日",
            "生日是[出生日期]，系统里登记成了[出生日期]",
            {"date_of_birth": 2},
        ),
        (
            "门诊号 MZ2207731，后来改成了 MZ2301188",
            "门诊号 [病历号]，后来改成了 [病历号]",
            {"medical_record": 2},
        ),
        (
            "病历上名字写成了“甘晓慧”，应该是“甘小慧”",
            "病历上名字写成了“[姓名]”，应该是“[姓名]”",
            {"person_name": 2},
        ),
        (
            "我的微信 doc_zhou2020 错了，新的是 zhou-doc-2024 。",
            "我的微信 [微信号] 错了，新的是 [微信号] 。",
            {"wechat": 2},
        ),
    ],
)
def test_a_value_written_as_a_correction_takes_the_kind_of_the_first(
    text: str, expected: str, kinds: dict[str, int]
) -> None:
    counts: Counter[str] = Counter()
    assert ENGINE.redact(text, counts) == expected
    assert counts == Counter(kinds)


def test_names_beside_a_bed_or_a_mobile_number_and_handles_written_twice() -> None:
    assert ENGINE.redact("门口写着“7床 龚秀梅 禁食”") == "门口写着“[床号] [姓名] 禁食”"
    assert ENGINE.redact("登记表：韦思远，13912345678") == "登记表：[姓名]，[电话]"
    # the handle swallows the doctor's name found inside its second writing
    assert (
        ENGINE.redact("抖音 @康复师小王医生 ，我是康复师小王医生，")
        == "抖音 [社交账号] ，我是[社交账号]，"
    )
