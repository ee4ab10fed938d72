"""The ``sanfang`` command: a thin click shell over :class:`sanfang_docs.api.Sanfang`.

base.py holds the group and the error wrapper; each other module is one command group and
registers itself on import, when its command runs (the table below). May import: ``api`` and
``errors`` only.
"""

from .base import main

# Each command's module, imported when the command runs (base.LazyGroup): `sanfang make` does
# not import search, verify, intake or the web app. A module imported here instead registers
# its commands at start, as before.
main.lazy.update({
    "catalog": "documents", "interview": "documents", "make": "documents", "demo": "documents",
    "case": "cases", "drafts": "drafts", "export": "export", "verify-bundle": "export",
    "watch": "intake", "intake": "intake", "quarantine": "intake", "keys": "keys", "matter": "matter",
    "org": "organisations", "search": "search", "reindex": "search", "verify": "verify",
    "serve": "web", "users": "web",
})

__all__ = ["main"]
