"""The archive (DESIGN.md "Archive"): records filed atomically under a DA/T 22 档号 (store.py,
numbers.py; 件号 reserved while a record renders, reservations.py), durable writes with one
barrier per record (durable.py), the hash-chained audit log (audit.py), locks (locks.py) and
cases (cases.py).

May import: ``documents``, ``rules``, ``interview`` (cases read an interview's followers),
``errors``, ``workspace``.
"""

from .numbers import RETENTION_CODES, format_archive_no, qr_payload
from .store import (
    STATUS_GENERATED,
    STATUS_SIGNED,
    STATUS_STAMPED,
    Archive,
    Listener,
    Record,
    Renderer,
    sha256_hex,
)

__all__ = ["RETENTION_CODES", "STATUS_GENERATED", "STATUS_SIGNED", "STATUS_STAMPED", "Archive", "Listener",
           "Record", "Renderer", "format_archive_no", "qr_payload", "sha256_hex"]
