"""The watched inbox (DESIGN.md "Intake"): stamped scans matched to their record by QR code,
filed (已盖章), OCR'd off the filing path and compared with the filed text.

One module per stage: watch.py (watchdog + rescan, stability), journal.py (crash safety),
decode.py (pypdfium2 pages, zxing-cpp codes), match.py (split by record), pipeline.py (filing,
quarantine decisions, OCR jobs), quarantine.py, ocr.py (tesseract / RapidOCR), compare.py,
files.py (durable writes). May import: ``archive``, ``documents``, ``errors``, ``workspace``.
"""

from .pipeline import DEFAULTS, DUPLICATE, FILED, QUARANTINED, Intake, Result
from .quarantine import Item
from .watch import Watcher

__all__ = ["DEFAULTS", "DUPLICATE", "FILED", "QUARANTINED", "Intake", "Item", "Result", "Watcher"]
