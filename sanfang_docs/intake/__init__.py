"""The watched inbox (DESIGN.md "Intake"), not built yet: stamped scans matched to their record by
QR code, OCR'd and filed. May import: the pipeline boxes below it (search, archive, documents…).
"""
