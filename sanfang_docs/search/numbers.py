"""档号 as a clerk types them: any separator (·, ., -, _, /, spaces or none), any case,
full-width characters, 件号 with or without its zeros, with or without the 全宗号.

:func:`normalise_archive_no` is public: a 档号 given anywhere (``--from``) is matched exactly
in any spelling search accepts, never as a pattern.
"""

from __future__ import annotations

import re
import unicodedata

# A 档号 in any spelling: ·, ., -, _, /, spaces or nothing between its parts; any case; with or
# without the 全宗号; 件号 with or without its leading zeros.
_SEP = r"[\s\-·•.．‧・_/—–]*"
ARCHIVE_NO = re.compile(rf"(?<![0-9A-Za-z])(?:([A-Za-z0-9]{{1,12}}){_SEP})?WS{_SEP}(\d{{4}}){_SEP}(Y|D30|D10)"
                        rf"{_SEP}([A-Za-z]{{2,10}}){_SEP}(\d{{1,4}})(?![0-9])", re.I)


def archive_key(m: re.Match[str]) -> str:
    """A matched 档号 as the index keys it (documents.archive_keys): letters and digits."""
    fonds, year, retention, org, item = m.groups()
    return f"{(fonds or '').upper()}WS{year}{retention.upper()}{org.upper()}{int(item):04d}"


def normalise_archive_no(text: str, fonds: str | None = None) -> str | None:
    """The 档号 a clerk typed, in its one written form (J001-WS·2025-Y-SQDW-0032), whatever
    the spelling: ·, ., - or spaces between the parts, lower case, full-width characters, 件号
    without its zeros, a leading “档号：”. Without the 全宗号, ``fonds`` supplies it (None if not
    given). None when the text is not one 档号. Never a pattern: ``*`` is no 档号."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    text = re.sub(r"^档号\s*[:：]?\s*", "", text)
    m = ARCHIVE_NO.fullmatch(text)
    if not m:
        return None
    given, year, retention, org, item = m.groups()
    if not (given or fonds):
        return None
    return f"{(given or fonds or '').upper()}-WS·{year}-{retention.upper()}-{org.upper()}-{int(item):04d}"
