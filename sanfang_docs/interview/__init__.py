"""docassemble-format interviews: loading, running, and the front ends."""

from .loader import Interview, available, load
from .runner import Screen, Session

__all__ = ["Interview", "Screen", "Session", "available", "load"]
