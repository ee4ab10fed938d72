"""The web app (DESIGN.md "Web"): ``sanfang serve``, server-rendered Chinese pages over the library
API — interviews one screen at a time on the same Conversation the terminal drives, the archive
(browse, search, records, cases), 待办 and accounts; scans.py: uploads of scans through the
intake, the quarantine and inspection bundles. app.py holds what every page shares
(session, login, CSRF, errors); one module per area registers its routes; templates/ and static/
are vendored (no CDN). May import: ``api`` and ``errors`` only, like the CLI.
"""

from .app import create_app

__all__ = ["create_app"]
