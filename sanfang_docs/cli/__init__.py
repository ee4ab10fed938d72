"""The ``sanfang`` command: a thin click shell over :class:`sanfang_docs.api.Sanfang`.

base.py holds the group and the error wrapper; each other module is one command group and
registers itself on import. May import: ``api`` and ``errors`` only.
"""

from . import cases, documents, drafts, keys, matter, organisations, search, verify, web  # noqa: F401 - each registers its commands
from .base import main

__all__ = ["main"]

