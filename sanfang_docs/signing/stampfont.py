"""The font of the signature's visible note: a small subset of a CJK face, one per signer name.

The subset holds just the note's characters (:func:`stamp_font`), made with fontTools once per
signer name and kept in the user's cache (``stamp-fonts``); :func:`stamp_name` is the signer's
name as the note prints it. signing/stamp.py draws the note with it.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .. import usercache
from ..documents.fonts import Face

STAMP_TEXT = "本文件已由%(signer)s于%(ts)s数字签名"
STAMP_TIME = "%Y年%-m月%-d日 %H:%M"  # the 成文日期's style, not ISO (which would contradict it)
STAMP_PT = 9


def stamp_font(signer: str, known: Callable[[str], bool] = lambda path: False) -> str:
    """A subset of a CJK face with just the stamp's characters, cached on disk.

    pyHanko re-subsets whatever font it gets on every signature; from the whole 16 MB CJK
    face that costs ~0.5 s each time, from this subset a few milliseconds. Making the
    subset itself (~1 s) happens once per signer name. A subset ``known`` to be sound (the
    note's template kept from it matches its size and time) is not opened with fontTools.
    """
    chars = "".join(sorted(set(STAMP_TEXT.replace("%(signer)s", "").replace("%(ts)s", "")
                               + signer + "0123456789-: 年月日")))
    if chars in _FONTS and os.path.exists(_FONTS[chars]):  # a cache may be cleared under us
        return _FONTS[chars]
    face = _stamp_face()
    tag = hashlib.sha256(f"{usercache.stamp(face.path)}|{face.index}|{chars}".encode()).hexdigest()[:24]
    path = _font_cache() / f"{tag}.otf"
    if not (known(str(path)) or _readable_font(path)):  # none yet, or damaged: made again
        _subset_font(face.path, face.index, chars, path)
    _FONTS[chars] = str(path)
    return str(path)



_FONTS: dict[str, str] = {}  # stamp characters → subset font file, for the process


def stamp_name(name: str) -> str:
    """The signer's name as the visible note prints it: a 生僻字 the note's face lacks becomes 〓
    (the note is a reading aid; the certificate and the record keep the real name)."""
    from ..documents.fonts import covers

    face = _stamp_face()
    return "".join(c if covers(face, c) else "〓" for c in name)


def _readable_font(path: Path) -> bool:
    from fontTools import ttLib

    try:
        ttLib.TTFont(str(path), lazy=True).close()
    except Exception:  # noqa: BLE001 - fontTools raises many kinds for a damaged file
        return False
    return True


def _font_cache() -> Path:
    """Subsets depend only on the installed face, not on the workspace: one cache per user."""
    base = usercache.folder("stamp-fonts")
    try:
        base.mkdir(parents=True, exist_ok=True)
        if os.access(base, os.W_OK):
            return base
    except OSError:
        pass
    fallback = Path(tempfile.gettempdir()) / f"sanfang-docs-{os.getuid()}" / "stamp-fonts"
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


@functools.cache
def _stamp_face() -> Face:
    """The document's 宋体/仿宋 face, or its 楷体 when only that one has TrueType outlines (a
    TrueType subset was ~10 ms cheaper per signature when pyHanko compiled the font each time;
    it still makes a smaller program). Which one is kept per font files (fontTools is not
    imported for it again)."""
    from ..documents.fonts import faces
    from ..documents.kept import kept_marshal

    resolved = faces()

    def pick() -> str:
        from fontTools import ttLib

        for role in STAMP_ROLES:
            face = resolved[role]
            if "glyf" in ttLib.TTFont(face.path, fontNumber=face.index, lazy=True):
                return role
        return STAMP_ROLES[0]

    role = kept_marshal("stamp-face", [(resolved[r].path, resolved[r].index) for r in STAMP_ROLES], pick)
    return resolved[role if role in STAMP_ROLES else pick()]


STAMP_ROLES = ("song", "body", "kai")


def _subset_font(source: str, index: int, chars: str, target: Path) -> None:
    from fontTools import subset, ttLib

    options = subset.Options()
    options.layout_features = []  # horizontal CJK text needs no shaping features
    options.hinting = False
    options.notdef_outline = True
    font = ttLib.TTFont(source, fontNumber=index, lazy=True)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    # fontTools warns about tables it drops (FFTM …) through logging, which would print.
    quiet = logging.getLogger("fontTools")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        subsetter.subset(font)
    finally:
        quiet.setLevel(level)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    font.save(str(tmp))
    os.replace(tmp, target)
