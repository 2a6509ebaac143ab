"""The identifier kinds and the one placeholder vocabulary every stage writes and reads.

The crawler, dataprep's ``deidentify`` step and dataprep's advertising filter all import these
names: a placeholder written by one stage is recognised by the others.
"""

from __future__ import annotations

import re

# kind -> placeholder, in the order reports list them.
PLACEHOLDERS: dict[str, str] = {
    "phone": "[电话]",
    "wechat": "[微信号]",
    "qq": "[QQ号]",
    "email": "[邮箱]",
    "url": "[网址]",
    "social_handle": "[社交账号]",
    "id_card": "[身份证号]",
    "passport": "[证件号]",
    "bank_card": "[银行卡号]",
    "medical_record": "[病历号]",
    "bed": "[床号]",
    "licence_plate": "[车牌号]",
    "date_of_birth": "[出生日期]",
    "person_name": "[姓名]",
    "doctor_name": "[医生姓名]",
    "address": "[地址]",
}
KINDS: tuple[str, ...] = tuple(PLACEHOLDERS)
# Kinds through which a text solicits contact: the advertising filter drops answers holding them.
CONTACT_KINDS: tuple[str, ...] = ("phone", "wechat", "qq", "email", "url", "social_handle")
CONTACT_PLACEHOLDERS: tuple[str, ...] = tuple(PLACEHOLDERS[k] for k in CONTACT_KINDS)
# Kind names older recipes and crawl stats used, accepted as aliases.
ALIASES: dict[str, str] = {"record_no": "medical_record", "mobile": "phone", "landline": "phone"}

PLACEHOLDER_RE = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS.values()))


def canonical_kind(name: str) -> str:
    """The kind ``name`` stands for (aliases resolved); ValueError naming the known kinds."""
    kind = ALIASES.get(name, name)
    if kind not in PLACEHOLDERS:
        raise ValueError(f"unknown de-identification kind {name!r} (known: {', '.join(KINDS)})")
    return kind


def has_contact_placeholder(text: str) -> bool:
    """True if ``text`` holds a placeholder of a contact kind (phone, WeChat, QQ, e-mail, URL,
    social handle)."""
    return any(p in text for p in CONTACT_PLACEHOLDERS)
