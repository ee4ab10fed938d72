"""The ``sanfang`` command: a thin click shell over :class:`sanfang_docs.api.Sanfang`.

base.py holds the group and the error wrapper; each other module is one command group and
registers itself on import. May import: ``api`` and ``errors`` only.
"""

from . import (  # noqa: F401 - each registers its commands
    cases,
    documents,
    drafts,
    export,
    intake,
    keys,
    matter,
    organisations,
    search,
    verify,
    web,
)
from .base import main

__all__ = ["main"]

