"""Signing (DESIGN.md "Signing"): a local CA and one key per issuing organisation, PKCS#12 import
(keys.py); PAdES signatures with pyHanko (pades.py); the XMP record and the embedded answers
(pdfmeta.py). May import: ``documents``, ``interview`` (validate: names that may sign), ``errors``, ``workspace``.
"""
