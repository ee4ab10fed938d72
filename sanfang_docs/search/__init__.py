"""Full-text search of the archive (DESIGN.md "Search"): Whoosh with a jieba analyzer.

    >>> from sanfang_docs.search import SearchIndex, Scope, Filters, search
    >>> result = search(index, "物管会 成立", Filters(kind="请示"), Scope.street("纸坊街道"))

The index follows the archive's audit log (follow.py: searches catch up first, a long-lived
process runs an applier thread) and can always be rebuilt from the archive.
Content beside the code: synonyms.txt (short forms), families.txt (the manual's names for a
family of documents). May import: ``archive``, ``errors``, ``workspace``.
"""

from .index import SearchIndex
from .numbers import normalise_archive_no
from .searching import Filters, Hit, Scope, SearchResult, search
from .selecting import Matches, matching

__all__ = ["Filters", "Hit", "Matches", "Scope", "SearchIndex", "SearchResult", "matching", "normalise_archive_no",
           "search"]
