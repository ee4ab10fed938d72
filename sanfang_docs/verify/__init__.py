"""The four DA/T 70 checks (authenticity, integrity, usability, security) over the archive
(records.py walks the records, the audit trail and the 件号; files.py checks one record's files,
in worker processes). May import: ``archive``, ``signing``, ``documents``, ``errors``, ``workspace``.
"""

from ..errors import EXIT_VERIFY_PROBLEMS as EXIT_PROBLEMS
from .records import ARCHIVE_NO, Problem, Report, Verifier

__all__ = ["ARCHIVE_NO", "EXIT_PROBLEMS", "Problem", "Report", "Verifier"]
