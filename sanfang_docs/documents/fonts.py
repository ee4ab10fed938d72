"""Font faces for the layouts: the official 公文 faces when installed, else free Debian ones.

Detected once per process with fontconfig (``fc-list``). A face that cannot be found raises
:class:`~sanfang_docs.errors.RenderError` naming the face and the package to install: a
document set in a fallback face that lacks the glyphs would print tofu boxes.

生僻字 in names (CJK Extension B and beyond) are in none of the 公文 faces: the FALLBACKS
(花園明朝 A/B, BabelStone Han) print them, in Typst as later families of every role and in
Word as runs of their own (:func:`pieces`). :func:`printable` tells the field layer which
characters some face can print, so what none can is refused at the field, not at the renderer.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import hashlib
import logging
import marshal
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from ..errors import RenderError
from ..usercache import folder as cache_folder
from ..usercache import keep
from .kept import kept_marshal


@dataclass(frozen=True)
class Candidate:
    family: str  # a fontconfig family name
    bold: bool = False
    package: str = ""  # Debian package that ships it (empty: an official face, not packaged)


@dataclass(frozen=True)
class Face:
    role: str
    family: str  # the installed family this machine prints with (PDF)
    bold: bool
    path: str
    index: int
    official: bool

    @property
    def weight(self) -> int:
        return 700 if self.bold else 400

    @property
    def official_name(self) -> str:
        """The official face the DOCX names (方正小标宋简体, 仿宋_GB2312, 黑体, 楷体_GB2312, 宋体)."""
        return FACES[self.role][1][0].family if self.role in FACES else self.family


# Role → (what a clerk calls it, candidates in order of preference). Official faces first (the
# first one is also the name the DOCX gives, so an office PC that has it prints it); then free
# faces of the same design: the Fandol faces (仿宋, 黑体, 楷体, 宋) that TeX Live ships in
# Debian's texlive-lang-chinese (scripts/setup.sh installs their OTF files alone), then Noto.
FANDOL = "texlive-lang-chinese"
FACES: dict[str, tuple[str, tuple[Candidate, ...]]] = {
    "title": (
        "方正小标宋简体（标题）",
        (
            Candidate("方正小标宋简体"),
            Candidate("FZXiaoBiaoSong-B05S"),
            Candidate("方正小标宋_GBK"),
            # A heavy 宋 (Source Han Serif Bold): the nearest free design to 小标宋.
            Candidate("Noto Serif CJK SC", bold=True, package="fonts-noto-cjk"),
        ),
    ),
    "body": (
        "仿宋_GB2312（正文）",
        (
            Candidate("仿宋_GB2312"),
            Candidate("FangSong_GB2312"),
            Candidate("仿宋"),
            Candidate("FangSong"),
            Candidate("FandolFang", package=FANDOL),
        ),
    ),
    "hei": (
        "黑体（一级标题）",
        (
            Candidate("黑体"),
            Candidate("SimHei"),
            Candidate("FandolHei", package=FANDOL),
            Candidate("Noto Sans CJK SC", bold=True, package="fonts-noto-cjk"),
        ),
    ),
    "kai": (
        "楷体_GB2312（二级标题）",
        (
            Candidate("楷体_GB2312"),
            Candidate("KaiTi_GB2312"),
            Candidate("楷体"),
            Candidate("KaiTi"),
            Candidate("FandolKai", package=FANDOL),
            Candidate("AR PL UKai CN", package="fonts-arphic-ukai"),
        ),
    ),
    "song": (
        "宋体（页码）",
        (
            Candidate("宋体"),
            Candidate("SimSun"),
            Candidate("FandolSong", package=FANDOL),
            Candidate("Noto Serif CJK SC", package="fonts-noto-cjk"),
        ),
    ),
}
# Characters a Fandol face lacks (生僻字 in names) come from this face, in PDF and DOCX alike.
RARE_FALLBACK = Candidate("Noto Serif CJK SC", package="fonts-noto-cjk")

ROLES = tuple(FACES)


@dataclass(frozen=True)
class _Installed:
    families: tuple[str, ...]  # lower-cased names, every language fontconfig lists
    weight: int  # fontconfig scale: 80 regular, 200 bold
    italic: bool
    path: str
    index: int


_listing = threading.Lock()  # pdf.warm_up's thread and the field checks may ask at once


def _installed() -> tuple[_Installed, ...]:
    with _listing:
        return _fc_list()


# Where fontconfig looks (fonts.conf's defaults) and its configuration: their modification
# times, with those of every folder holding a listed face, key the kept listing.
_FONT_ROOTS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts",
               "/etc/fonts", "/etc/fonts/conf.d")


def _listing_key(found: tuple[_Installed, ...]) -> list[str]:
    folders = {os.path.expanduser(r) for r in _FONT_ROOTS} | {os.path.dirname(f.path) for f in found}
    key = [os.environ.get("FONTCONFIG_FILE", ""), os.environ.get("FONTCONFIG_PATH", "")]
    for folder in sorted(folders):
        with contextlib.suppress(OSError):
            key.append(f"{folder}:{os.stat(folder).st_mtime_ns}")
    return key


@functools.cache
def _fc_list() -> tuple[_Installed, ...]:
    """What ``fc-list`` lists, kept in the user's cache while no font folder changed (a folder's
    time changes when a face is added or removed): the subprocess was ~20 ms of every command
    that makes a document."""
    kept = cache_folder("fonts") / "fc-list"
    with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
        key, rows = marshal.loads(kept.read_bytes())
        found = tuple(_Installed(tuple(r[0]), *r[1:]) for r in rows)
        if key == _listing_key(found):
            return found
    found = _run_fc_list()
    with contextlib.suppress(ValueError):  # (a face's name marshal cannot hold: not kept)
        keep(kept, marshal.dumps((_listing_key(found), [(f.families, f.weight, f.italic, f.path, f.index)
                                                          for f in found])))
    return found


def _run_fc_list() -> tuple[_Installed, ...]:
    if shutil.which("fc-list") is None:
        raise RenderError("无法查找字体：未找到 fc-list 命令，请安装 Debian 软件包 fontconfig。")
    out = subprocess.run(
        ["fc-list", "--format", "%{family}\t%{weight}\t%{slant}\t%{file}\t%{index}\t%{style}\n"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    found = []
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) != 6:
            continue
        family, weight, slant, path, index, style = parts
        # Some faces (the Fandol OTFs) give every style weight 80: trust the style name then.
        bold = "bold" in style.lower() or "black" in style.lower() or "heavy" in style.lower()
        found.append(
            _Installed(
                families=tuple(f.strip().lower() for f in family.split(",")),
                weight=max(_first_int(weight, 80), 200 if bold else 0),
                italic=_first_int(slant, 0) != 0,
                path=path,
                index=_first_int(index, 0),
            )
        )
    return tuple(found)


def _first_int(text: str, default: int) -> int:
    # fontconfig prints ranges for variable fonts ("[80 200]"): the first value is enough here.
    digits = text.strip("[] ").split(" ")[0]
    try:
        return int(float(digits))
    except ValueError:
        return default


def _match(candidate: Candidate) -> _Installed | None:
    name = candidate.family.lower()
    target = 200 if candidate.bold else 80
    options = [f for f in _installed() if name in f.families and not f.italic]
    if candidate.bold:
        # A synthetic bold would differ between Typst and Word: insist on a real bold face.
        options = [f for f in options if f.weight >= 180]
    if not options:
        return None
    return min(options, key=lambda f: (abs(f.weight - target), f.path, f.index))


def resolve(role: str, faces: dict[str, tuple[str, tuple[Candidate, ...]]] | None = None) -> Face:
    """The face for ``role``, or a RenderError naming what to install."""
    label, candidates = (faces or FACES)[role]
    for c in candidates:
        hit = _match(c)
        if hit is not None:
            return Face(role, c.family, c.bold, hit.path, hit.index, official=not c.package)
    packages = sorted({c.package for c in candidates if c.package})
    names = "、".join(c.family for c in candidates)
    hint = (
        f"请安装 Debian 软件包 {' '.join(packages)}（sudo apt-get install {' '.join(packages)}）"
        if packages
        else "请安装该字体"
    )
    raise RenderError(f"缺少字体“{label}”：本机未找到 {names} 中的任何一种。{hint}，然后重试。")


@functools.cache
def faces() -> dict[str, Face]:
    """Every role's face, resolved once per process."""
    return {role: resolve(role) for role in ROLES}


@functools.cache
def rare_fallback() -> Face | None:
    """The face for characters the role's face lacks; None if it is not installed."""
    hit = _match(RARE_FALLBACK)
    return Face("rare", RARE_FALLBACK.family, False, hit.path, hit.index, False) if hit else None


def font_dirs(resolved: dict[str, Face]) -> list[str]:
    """A folder holding just the faces and the fallbacks, for ``typst.Fonts(font_paths=...)``
    (it takes folders only, and reads every font in them and below): links to the files in the
    user's cache. The faces' own folders held 92 faces here (all of Noto CJK, DejaVu …), whose
    reading was ~85 ms of every process that makes a PDF; the links hold 17. Where links
    cannot be made, the faces' own folders."""
    files = sorted({f.path for f in (*resolved.values(), *fallbacks())})
    tag = hashlib.sha256("\0".join(files).encode()).hexdigest()[:24]
    folder = cache_folder("typst-fonts") / tag
    names = [f"{n}-{Path(p).name}" for n, p in enumerate(files)]  # numbered: two may share a name
    if folder.is_dir():
        if all((folder / name).exists() for name in names):  # every link still leads to its face
            return [str(folder)]
        shutil.rmtree(folder, ignore_errors=True)
    staging = folder.with_name(f".{tag}.{os.getpid()}")
    try:
        staging.mkdir(parents=True, exist_ok=True)
        for name, path in zip(names, files, strict=True):
            link = staging / name
            if not link.is_symlink():
                link.symlink_to(path)
        os.replace(staging, folder)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if folder.is_dir():  # another process made it first
            return [str(folder)]
        return sorted({str(Path(p).parent) for p in files})
    return [str(folder)]


@functools.cache
def _advances(path: str, index: int) -> tuple[dict[int, float], float]:
    """(code point → advance in em, the em advance of a missing glyph) of one face file."""
    def read() -> dict[int, float]:
        from fontTools.ttLib import TTFont

        font = TTFont(path, fontNumber=index, lazy=True)
        upm = font["head"].unitsPerEm
        hmtx = font["hmtx"]
        table = {cp: hmtx[name][0] / upm for cp, name in font.getBestCmap().items()}
        font.close()
        return table

    return kept_marshal("advances", [(path, index)], read), 1.0


def advance_pt(role: str, text: str, size: float, track: float) -> float:
    """How wide ``text`` sets in ``role``'s face: glyph advances plus tracking, plus the 0.2 em
    both renderers put where Chinese meets Latin letters or digits (see pdf.py)."""
    face = faces()[role]
    table, missing = _advances(face.path, face.index)
    width = sum(table.get(ord(c), missing) * size + track for c in text)
    narrow = [ord(c) < 0x2000 for c in text]
    width += 0.2 * size * sum(1 for a, b in zip(narrow, narrow[1:], strict=False) if a != b)
    return width


# Faces for the characters the role's face lacks, in order of preference. Measured with
# fontTools over Unicode 14 (bench/README.md "Fallback faces"): HanaMinB has every character
# of Extensions B–F, HanaMinA the compatibility supplement and most of Extension A,
# BabelStone Han 62% of Extension G (no Debian face has more).
FALLBACKS: tuple[Candidate, ...] = (
    Candidate("HanaMinB", package="fonts-hanazono"),
    Candidate("HanaMinA", package="fonts-hanazono"),
    Candidate("BabelStone Han", package="fonts-babelstone-han"),
)


@functools.cache
def fallbacks() -> tuple[Face, ...]:
    """The fallback faces installed here, the rare-character face first (none installed:
    生僻字 are refused at the field)."""
    rare = rare_fallback()
    found = [rare] if rare else []
    for c in FALLBACKS:
        hit = _match(c)
        if hit is not None:
            found.append(Face("fallback", c.family, False, hit.path, hit.index, official=False))
        else:
            logging.getLogger(__name__).info("未安装后备字体 %s（Debian 软件包 %s）", c.family, c.package)
    return tuple(found)


@functools.cache
def _cmap(path: str, index: int) -> frozenset[int]:
    def read() -> frozenset[int]:
        from fontTools.ttLib import TTCollection, TTFont

        font = TTCollection(path, lazy=True).fonts[index] if path.lower().endswith((".ttc", ".otc")) \
            else TTFont(path, lazy=True)
        return frozenset(font.getBestCmap() or {})

    return kept_marshal("cmap", [(path, index)], read)


# The characters pieces() found each face (path, index) to have so far: a set test per text.
_COVERED: dict[tuple[str, int], set[str]] = {}


def covers(face: Face, char: str) -> bool:
    return _in_runs(_cmap_runs(face.path, face.index), ord(char))


@functools.cache
def _cmap_runs(path: str, index: int) -> tuple[list[int], list[int]]:
    """One face's code points as runs, for :func:`covers` (the DOCX asks of every character):
    a CJK face's ~30,000 code points are ~1,000 runs, a tenth of the cached cmap to load."""
    firsts, lasts = kept_marshal("cmap-runs", [(path, index)], lambda: _runs(_cmap(path, index)))
    return list(firsts), list(lasts)


def _runs(points: frozenset[int]) -> tuple[list[int], list[int]]:
    """Sorted code points as (first code points, last code points) of their runs."""
    firsts: list[int] = []
    lasts: list[int] = []
    for cp in sorted(points):
        if lasts and lasts[-1] == cp - 1:
            lasts[-1] = cp
        else:
            firsts.append(cp)
            lasts.append(cp)
    return firsts, lasts


def _in_runs(runs: tuple[list[int], list[int]], cp: int) -> bool:
    at = bisect.bisect_right(runs[0], cp) - 1
    return at >= 0 and cp <= runs[1][at]


@functools.cache
def _printable() -> tuple[list[int], list[int]]:
    """The printable code points as runs (first code points, last code points), cached with the
    faces: intersecting the faces' cmaps (~120,000 code points each) took ~0.1 s of every
    command that checks an answer; the ~2,500 runs load in well under a millisecond."""
    resolved, extras = list(faces().values()), fallbacks()

    def read() -> tuple[list[int], list[int]]:
        # A character prints if every role's face, or a fallback, has it: any role may set it.
        extra = frozenset().union(*(_cmap(f.path, f.index) for f in extras))
        return _runs(frozenset.intersection(*(_cmap(f.path, f.index) | extra for f in resolved)))

    firsts, lasts = kept_marshal("printable", [(f.path, f.index) for f in (*resolved, *extras)], read)
    return list(firsts), list(lasts)


def printable(char: str) -> bool:
    """Whether the faces of every role (with the fallbacks) can print ``char``."""
    return _in_runs(_printable(), ord(char))


def pieces(text: str, face: Face) -> list[tuple[str, Face]]:
    """``text`` cut into runs of one face: the role's own, or the first fallback that has the
    character (Word does not fall back by itself the way Typst does)."""
    own = _COVERED.setdefault((face.path, face.index), set())
    fresh = set(text).difference(own)
    own.update(c for c in fresh if c in "\n\t" or covers(face, c))
    if not fresh.difference(own):  # the common case: the face has every character
        return [(text, face)] if text else []
    out: list[tuple[str, Face]] = []
    for char in text:
        use = face
        if char not in "\n\t" and not covers(face, char):
            use = next((f for f in fallbacks() if covers(f, char)), face)
        if out and out[-1][1] == use:
            out[-1] = (out[-1][0] + char, use)
        else:
            out.append((char, use))
    return out
