"""Signing (DESIGN.md "Signing"): a local CA and one key per issuing organisation, PKCS#12 import
(keys.py; a key file checked once loads again without its RSA check, checked.py); PAdES
signatures with pyHanko (pades.py), the signature's visible note (stamp.py: a template kept per
font), its font (stampfont.py: a subset per signer name; glyphs.py: pyHanko's glyph accumulator
for it, imported only to build a template), pyHanko
imported in the parts a signature uses (lean.py, installed here so it comes before any module of
the box imports pyHanko); the XMP record and the embedded answers (pdfmeta.py, written in the
signature's incremental update). May import: ``documents``, ``interview`` (validate: names
that may sign), ``errors``, ``workspace``, ``usercache``.
"""

from .lean import install as _defer_pyhanko_inits

_defer_pyhanko_inits()
