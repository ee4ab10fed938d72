"""Full-text search of the archive (DESIGN.md "Search"): Whoosh with a jieba analyzer.

    >>> from sanfang_docs.search import SearchIndex, Scope, Filters, search
    >>> result = search(index, "物管会 成立", Filters(kind="请示"), Scope.street("纸坊街道"))

The index follows the archive's audit log (follow.py: searches catch up first, a long-lived
process runs an applier thread) and can always be rebuilt from the archive.
Content beside the code: synonyms.txt (short forms), families.txt (the manual's names for a
family of documents). bulk.py rebuilds the index on every core. May import: ``archive``,
``documents`` (jieba's dictionary on disk: documents/lexicon.py), ``errors``, ``workspace``,
``usercache``.
"""

from importlib import import_module
from typing import Any

from .index import SearchIndex
from .numbers import normalise_archive_no

# Searching (numpy, the query parser) loads when a search needs it, not when a filing updates
# the index: the name → the module that holds it.
_LAZY = {"Filters": "searching", "Hit": "searching", "Scope": "searching", "SearchResult": "searching",
         "search": "searching", "Matches": "selecting", "matching": "selecting"}

__all__ = ["Filters", "Hit", "Matches", "Scope", "SearchIndex", "SearchResult", "matching", "normalise_archive_no",
           "search"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
