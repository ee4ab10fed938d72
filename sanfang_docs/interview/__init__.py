"""docassemble-format interviews (DESIGN.md "Interviews"): loading (loader.py), the engine
(runner.py, drive.py, fields.py), document hooks (hooks.py) and the terminal front end; answers
files read with bounded work (answers_file.py) and the one gate every answer passes before
code, templates or renderers see it (validate.py, rules in interviews/data/answer-rules.yml).
May import: ``documents``, ``rules``, ``errors``, ``workspace``.
"""

from .loader import Interview, available, load
from .runner import Screen, Session

__all__ = ["Interview", "Screen", "Session", "available", "load"]
