"""What two flags' texts are compared on: the problem, without who and which ticket.

Ticket ids, customer refs, emails, URLs, numbers, versions and dates say which customer or case a
flag is about, never which problem, so they are taken out before texts are compared: two flags must
become neither alike nor different because they mention the same ticket or different ones.
"""

from __future__ import annotations

import re
import unicodedata

_PATTERNS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"<?https?://\S+>?",  # URLs, also Slack's <https://…|label>
        r"\bwww\.\S+",
        r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",  # emails
        r"\bcustomer:\S+",  # customer:acme
        r"\b(?:cust(?:omer)?|acct|account|org|tenant)\s*(?:id\s*)?[#:]?\s*\d[\w-]*",  # cust 8812
        r"\b[A-Z][A-Z0-9]{1,9}-\d+\b",  # ZD-4411, INC-2093, JIRA-551
        r"(?<!\w)#\d+\b",  # #88213
        r"\bv?\d+(?:\.\d+){1,3}\b",  # versions, 18.2, v4.12.1
        r"\b\d{1,4}[/-]\d{1,2}[/-]\d{1,4}\b",  # dates
        r"(?<![\w.])\d+(?:[.,]\d+)?%?(?![\w.])",  # other numbers, not 2FA or 3DS
    )
)
# Words agents add that say nothing about which problem it is ("another one", "cust says").
_FILLER = re.compile(
    r"\b(?:again|another|still|also|too|customer'?s?|cust|cx|users?|client|they|their|says?|said"
    r"|reports?|reporting|today|this morning|same issue|pls|please|asap|urgent"
    r"|\d+(?:st|nd|rd|th) (?:one|report|time)(?: today)?)\b",
    re.IGNORECASE,
)
_EDGES = " ,;:-\u2013\u2014()[]"  # spaces, punctuation and dashes left at the ends
_SPACES = re.compile(r"\s+")
_DANGLING = re.compile(r"\s+([,.;:!?)])")


def normalise(text: str) -> str:
    """The text without ticket ids, customer refs, emails, URLs, versions, numbers and filler.

    `another one: Acme (ZD-4411, jane@acme.com) can't export CSV since v4.12.1` →
    `one: Acme (,) can't export CSV since` — what is left is compared, so leftover punctuation
    does not matter; case is kept (the embedding model ignores it; titles keep it).
    """
    text = unicodedata.normalize("NFKC", text)
    for pattern in _PATTERNS:
        text = pattern.sub(" ", text)
    without_filler = _FILLER.sub(" ", text)
    if without_filler.strip(_EDGES + "!?."):
        text = without_filler
    text = _DANGLING.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip(_EDGES)
