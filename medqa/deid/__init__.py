"""De-identification shared by every stage: the crawler before its feed writes a line, dataprep's
``deidentify`` step, and the placeholder vocabulary dataprep's advertising filter reads.

Usage::

    from medqa.deid import Deidentifier
    engine = Deidentifier()                      # all kinds; Deidentifier(["phone", "email"])
    engine.redact("我叫王建国，电话138 1234 5678")   # '我叫[姓名]，电话[电话]'
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
