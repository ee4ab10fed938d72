"""档号 as a clerk types them: any separator (·, ., -, _, /, spaces or none), any case,
full-width characters, 件号 with or without its zeros, with or without the 全宗号.

The parser itself is the archive's (:func:`sanfang_docs.archive.numbers.canonical_archive_no`),
so ``--from`` and search read a typed 档号 the same way; here, its key in the index.
"""

from __future__ import annotations

import re

from ..archive.numbers import ARCHIVE_NO
from ..archive.numbers import canonical_archive_no as normalise_archive_no

__all__ = ["ARCHIVE_NO", "archive_key", "normalise_archive_no"]


def archive_key(m: re.Match[str]) -> str:
    """A matched 档号 as the index keys it (documents.archive_keys): letters and digits."""
    fonds, year, retention, org, item = m.groups()
    return f"{(fonds or '').upper()}WS{year}{retention.upper()}{org.upper()}{int(item):04d}"

