"""Inspection bundles (DESIGN.md "Bundles"), not built yet: BagIt exports with a reading copy and
the 示范文本13 checklist. May import: the pipeline boxes below it (verify, search, archive…).
"""
