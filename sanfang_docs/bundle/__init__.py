"""Inspection bundles (DESIGN.md "Bundles"): ``sanfang export`` writes a selection of the archive
as a BagIt bag — originals byte for byte, a PDF/A reading copy with 目录 and bookmarks, the
示范文本13 checklist, a DA/T 70 transfer report, a manifest — and ``sanfang verify-bundle``
checks one. select.py (which records, in which order), reading.py (阅读本), checklist.py
(检查清单), typeset.py (Typst pages), bag.py (BagIt write/read), export.py, check.py.

May import: the pipeline boxes below it (verify, search, signing, archive, documents, rules…).
"""

from .check import BundleReport, verify_bundle
from .export import ExportResult, export

__all__ = ["BundleReport", "ExportResult", "export", "verify_bundle"]
