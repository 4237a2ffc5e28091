"""Database URLs as people write them: passwords found wherever they are, and masked.

A password can sit in the user part (`postgresql://u:pw@host/db`), possibly with an unencoded
`@` or `/` in it (`u:p@ss@host`), or in the query (`?password=pw`, `sslpassword=…`). Every
printed URL goes through `mask_url`; `encode_password` makes a URL with an unencoded password
parse as meant (otherwise half of the password would be read as the host).
"""

from __future__ import annotations

import re
from urllib.parse import quote

MASK = "***"
_SECRET_PARAM = re.compile(r"(?i)([?&;](?:[^=&;#]*(?:pass|pwd|secret|token|key)[^=&;#]*)=)[^&;#]*")


def _split(url: str) -> tuple[str, str, str, str] | None:
    """(scheme://, user part, @host…, query) of a URL with a user part; None without one."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return None
    query_at = rest.find("?")
    authority_and_path, query = (rest, "") if query_at < 0 else (rest[:query_at], rest[query_at:])
    at = authority_and_path.rfind("@")
    if at < 0:
        return None
    return scheme + separator, authority_and_path[:at], authority_and_path[at:], query


def mask_url(url: str) -> str:
    """The URL with every password in it replaced by `***`."""
    masked = _SECRET_PARAM.sub(rf"\g<1>{MASK}", url)
    parts = _split(masked)
    if parts is None:
        return masked
    head, userinfo, host, query = parts
    user, colon, _password = userinfo.partition(":")
    return f"{head}{user}{colon}{MASK if colon else ''}{host}{query}"


def encode_password(url: str) -> str:
    """The URL with characters of its user-part password that would break parsing encoded."""
    parts = _split(url)
    if parts is None:
        return url
    head, userinfo, host, query = parts
    user, colon, password = userinfo.partition(":")
    if not colon or not re.search(r"[@/?#:]", password):
        return url
    return f"{head}{user}:{quote(password, safe='%')}{host}{query}"
