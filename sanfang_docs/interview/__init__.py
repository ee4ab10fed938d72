"""docassemble-format interviews (DESIGN.md "Interviews"): loading (loader.py), the engine
(runner.py, fields.py; drive.py for an answers file), the Session API every front end drives —
answers as the state, back, review, edit (conversation.py) — its drafts (drafts.py), the checks
of an answers file (checks.py), answers files read with bounded work (answers_file.py), the one
gate every answer passes before code, templates or renderers see it (validate.py, rules in
interviews/data/answer-rules.yml), document hooks (hooks.py) and the terminal front end.
May import: ``documents``, ``rules``, ``errors``, ``workspace``, ``usercache``.
"""

from .conversation import Conversation
from .loader import Interview, available, load
from .runner import Screen, Session

__all__ = ["Conversation", "Interview", "Screen", "Session", "available", "load"]
