"""docassemble-format interviews (DESIGN.md "Interviews"): loading (loader.py), the engine
(runner.py, drive.py, fields.py), document hooks (hooks.py) and the terminal front end.
May import: ``documents``, ``rules``, ``errors``, ``workspace``.
"""

from .loader import Interview, available, load
from .runner import Screen, Session

__all__ = ["Interview", "Screen", "Session", "available", "load"]
