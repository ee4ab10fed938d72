"""A one-shot `sanfang make` (bench/README.md "A cold command"): what it does not import, and the
start-up caches it reads — each gives what the slow way gives, and a change is seen.

No times are asserted: these check that the work is skipped and that nothing changes by it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sanfang_docs.documents import fonts
from sanfang_docs.interview import loader
from sanfang_docs.signing import checked
from sanfang_docs.signing.keys import KeyStore
from sanfang_docs.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
ANSWERS = REPO / "examples" / "branch-founding" / "with-committee.yaml"

# Made lazy or kept off the filing path; each was imported by a `make` before.
NOT_ON_THE_FILING_PATH = (
    "aiohttp", "pyhanko.sign.timestamps.aiohttp_client", "pyhanko_certvalidator.fetchers.aiohttp_fetchers",
    "pyhanko.sign.validation.dss", "fontTools.subset", "pygments", "jieba", "whoosh", "numpy",
    "sanfang_docs.search.index", "sanfang_docs.verify", "pypdfium2",
)

# A signature needs no pikepdf (signing/pdfmeta.py writes into pyHanko's update), and its note,
# drawn from the template kept beside its font (signing/stamp.py), reads no font.
NOT_READ_BY_A_SIGNATURE = ("pikepdf", "fontTools.ttLib", "uharfbuzz", "pyhanko.pdf_utils.font.opentype")


def _run(code: str, home: Path, cache: Path) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "SANFANG_HOME": str(home), "XDG_CACHE_HOME": str(cache)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


MAKE = f"""
import json, sys
from sanfang_docs.cli import main
try:
    main(["make", "branch-founding-request", "--answers", {str(ANSWERS)!r}], standalone_mode=False)
finally:
    loaded = sorted(m for m, mod in sys.modules.items() if mod is not None and getattr(mod, "__file__", None))
"""


@pytest.mark.parametrize("run", ["first", "second"])
def test_a_filing_imports_none_of_the_heavy_modules(tmp_path: Path, run: str) -> None:
    # The second run reads every start-up cache the first one wrote (key note, interviews,
    # printable code points, the Typst font folder).
    home, cache = tmp_path / "ws", tmp_path / "cache"
    for _ in range(2 if run == "second" else 1):
        got = _run(MAKE + "print(json.dumps({'modules': loaded}))", home, cache)
    modules = set(got["modules"])  # type: ignore[arg-type]
    assert "pyhanko.sign.signers.pdf_signer" in modules  # it did sign, with pyHanko's own signer
    # A first use on a machine makes the caches: the stamp's font subset (fontTools.subset,
    # once per signer name) and its note's template (fontTools, HarfBuzz), and the dictionary
    # copy (jieba, documents/lexicon.py).
    first_use = {"fontTools.subset", "fontTools.ttLib", "uharfbuzz", "pyhanko.pdf_utils.font.opentype",
                 "jieba"} if run == "first" else set()
    for heavy in {*NOT_ON_THE_FILING_PATH, *NOT_READ_BY_A_SIGNATURE} - first_use:
        assert heavy not in modules, heavy
    records = list((home / "archive").rglob("record.json"))
    assert len(records) == (2 if run == "second" else 1)
    assert json.loads(records[0].read_text(encoding="utf-8"))["signature"]["level"] == "PAdES-B-B"
    # Signed with the kept key, font program and styled DOCX base: the DA/T 70 checks pass.
    from sanfang_docs.api import Sanfang

    assert Sanfang(home).verify().ok


def test_a_damaged_user_cache_is_built_again_and_the_filing_stands(tmp_path: Path) -> None:
    """Every file of the user's cache overwritten with garbage (a disk fault, a half-copied
    home folder): the next filing rebuilds what it needs, signs, files and verifies. (A damaged
    stamp font subset made signing fail: 签名失败 … TTLibError.)"""
    home, cache = tmp_path / "ws", tmp_path / "cache"
    _run(MAKE + "print('{}')", home, cache)
    damaged = [f for f in cache.rglob("*") if f.is_file() and not f.is_symlink()]
    assert len(damaged) >= 6  # fonts, the stamp's subset, program and note, interviews, the DOCX base …
    for f in damaged:
        f.write_bytes(b"garbage")
    _run(MAKE + "print('{}')", home, cache)
    assert len(list((home / "archive").rglob("record.json"))) == 2
    from sanfang_docs.api import Sanfang

    assert Sanfang(home).verify().ok


def test_after_a_lean_signature_every_pyhanko_name_is_still_there(tmp_path: Path) -> None:
    code = MAKE + """
import pyhanko.sign.validation.ades as ades
from pyhanko.sign import SimpleSigner, signers
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.stamp import QRStampStyle
print(json.dumps({"ades": hasattr(ades, "ades_basic_validation"), "signer": SimpleSigner is signers.SimpleSigner,
                  "aiohttp": "aiohttp" in sys.modules, "validate": callable(validate_pdf_signature),
                  "qr": QRStampStyle.__module__}))
"""
    got = _run(code, tmp_path / "ws", tmp_path / "cache")
    assert got == {"ades": True, "signer": True, "aiohttp": True, "validate": True, "qr": "pyhanko.stamp.qr"}


def test_a_key_file_checked_once_loads_the_same_key_without_the_check(tmp_path: Path, monkeypatch) -> None:
    ws = Workspace(tmp_path)
    first = KeyStore(ws).signing_key("藏龙御景小区党支部筹备组", "prep_group")
    notes = list((ws.keys_dir / "checked").glob("*.json"))
    assert len(notes) == 1
    from cryptography.hazmat.primitives.serialization import pkcs12

    def no_full_load(*args, **kwargs):
        raise AssertionError("the full PKCS#12 load (with its RSA check) ran again")

    monkeypatch.setattr(pkcs12, "load_pkcs12", no_full_load)
    again = KeyStore(ws).signing_key("藏龙御景小区党支部筹备组", "prep_group")
    assert again.key.private_numbers() == first.key.private_numbers()
    assert again.cert == first.cert and again.chain == first.chain and again.common_name == first.common_name
    # A different file (one byte) or a damaged note: the full load again.
    monkeypatch.undo()
    p12 = again.path
    data = p12.read_bytes()
    assert checked.load(ws.keys_dir, data + b"\0", KeyStore(ws).passphrase()) is None
    notes[0].write_text("{", encoding="utf-8")
    assert checked.load(ws.keys_dir, data, KeyStore(ws).passphrase()) is None
    assert KeyStore(ws).signing_key("藏龙御景小区党支部筹备组", "prep_group").cert == first.cert
    # A wrong passphrase is refused, note or not.
    assert checked.load(ws.keys_dir, data, b"wrong") is None


def test_an_interview_kept_as_parsed_is_the_parsed_one_and_an_edit_is_seen(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "interviews"
    folder.mkdir()
    for f in loader.INTERVIEWS_DIR.glob("*.yml"):
        (folder / f.name).write_bytes(f.read_bytes())
    loader.load.cache_clear()
    fresh = loader.load("branch-founding", folder)
    assert list((tmp_path / "cache" / "sanfang-docs" / "interviews").glob("*.pickle"))
    loader.load.cache_clear()
    kept = loader.load("branch-founding", folder)
    assert kept is not fresh
    assert [b.raw for b in kept.blocks] == [b.raw for b in fresh.blocks]
    assert {k: [b.id for b in v] for k, v in kept.definers.items()} == \
           {k: [b.id for b in v] for k, v in fresh.definers.items()}
    assert kept.metadata == fresh.metadata and kept.modules == fresh.modules
    # An included file edited (common.yml): the interview is read again.
    common = folder / "common.yml"
    common.write_text(common.read_text(encoding="utf-8") + "\n---\nid: added-by-test\ncode: |\n  added_by_test = 1\n",
                      encoding="utf-8")
    loader.load.cache_clear()
    edited = loader.load("branch-founding", folder)
    assert "added_by_test" in edited.definers and "added_by_test" not in kept.definers
    loader.load.cache_clear()


def test_printable_runs_are_the_faces_intersection() -> None:
    extra = frozenset().union(*(fonts._cmap(f.path, f.index) for f in fonts.fallbacks()))
    expected = frozenset.intersection(*(fonts._cmap(f.path, f.index) | extra for f in fonts.faces().values()))
    got = {cp for cp in range(0x40000) if fonts.printable(chr(cp))}
    assert got == {cp for cp in expected if cp < 0x40000}


def test_typst_reads_a_folder_of_just_our_faces() -> None:
    folders = fonts.font_dirs(fonts.faces())
    assert len(folders) == 1
    linked = {os.path.realpath(p) for p in Path(folders[0]).iterdir()}
    wanted = {os.path.realpath(f.path) for f in (*fonts.faces().values(), *fonts.fallbacks())}
    assert linked == wanted


def test_covers_from_runs_is_the_cmap() -> None:
    for face in (*fonts.faces().values(), *fonts.fallbacks()):
        cmap = fonts._cmap(face.path, face.index)
        assert {cp for cp in range(0x30000) if fonts.covers(face, chr(cp))} == {cp for cp in cmap if cp < 0x30000}


def test_the_font_listing_is_kept_until_a_font_folder_changes(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    extra = tmp_path / "fonts"
    extra.mkdir()
    monkeypatch.setattr(fonts, "_FONT_ROOTS", (*fonts._FONT_ROOTS, str(extra)))
    runs: list[int] = []
    real = fonts._run_fc_list
    monkeypatch.setattr(fonts, "_run_fc_list", lambda: runs.append(1) or real())
    try:
        fonts._fc_list.cache_clear()
        first = fonts._fc_list()
        fonts._fc_list.cache_clear()
        assert fonts._fc_list() == first and len(runs) == 1  # kept
        (extra / "added.ttf").write_bytes(b"")  # a face added to a font folder
        st = extra.stat()
        os.utime(extra, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
        fonts._fc_list.cache_clear()
        assert fonts._fc_list() == first and len(runs) == 2  # listed again
    finally:
        fonts._fc_list.cache_clear()


def test_a_kept_vocabulary_upgrade_is_the_replayed_one(tmp_path: Path, monkeypatch) -> None:
    from sanfang_docs.search.analyzer import Vocabulary

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    full = Vocabulary(["藏龙御景", "江南花山郡", "三方联动", "物业管理委员会筹备组"])
    saved = full.query_dict(["藏龙", "御景", "选举", "结果"])
    replayed = Vocabulary(cached=saved)
    replayed.upgrade()
    assert list((tmp_path / "cache" / "sanfang-docs" / "vocabulary").glob("*.marshal"))

    def no_replay(self, words):
        raise AssertionError("replayed again")

    monkeypatch.setattr(Vocabulary, "_add_words", no_replay)
    restored = Vocabulary(cached=saved)
    restored.upgrade()
    assert restored.jieba.FREQ == replayed.jieba.FREQ and restored.jieba.total == replayed.jieba.total
    assert restored._seen == replayed._seen
    text = "江夏区藏龙御景小区党支部召开党员大会，选举产生支部委员会，物业管理委员会筹备组列席。"
    assert restored.cut(text) == replayed.cut(text) == full.cut(text)
    # The index learnt a word since: only that one is replayed after the kept start.
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    grown = {**saved, "words": [*saved["words"], "纸坊大街"]}
    replayed_words: list[list[str]] = []
    real = Vocabulary._add_words
    monkeypatch.setattr(Vocabulary, "_add_words", lambda self, words: replayed_words.append(words) or real(self, words))
    later = Vocabulary(cached=grown)
    later.upgrade()
    assert replayed_words == [["纸坊大街"]]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "elsewhere"))  # nothing kept: the whole replay
    whole = Vocabulary(cached=grown)
    whole.upgrade()
    assert later.jieba.FREQ == whole.jieba.FREQ and later.jieba.total == whole.jieba.total
    assert later._seen == whole._seen and later.cut(text + "纸坊大街") == whole.cut(text + "纸坊大街")


def test_the_key_store_alone_imports_no_pyhanko(tmp_path: Path) -> None:
    # Run, that is: the packages lean.py defers are in sys.modules, their code not yet run.
    code = ("import json, sys\nimport sanfang_docs.signing.keys\n"
            "print(json.dumps({'modules': [m for m, mod in sys.modules.items() if m.startswith(('pyhanko', 'fontTools'))"
            " and getattr(mod, '__file__', None) and '__getattr__' not in vars(mod)]}))")
    assert _run(code, tmp_path, tmp_path / "cache") == {"modules": []}


def test_a_key_store_that_cannot_be_written_still_loads_its_key(tmp_path: Path, monkeypatch) -> None:
    ws = Workspace(tmp_path)
    first = KeyStore(ws).signing_key("藏龙御景小区党支部筹备组", "prep_group")
    for note in (ws.keys_dir / "checked").glob("*.json"):
        note.unlink()

    def read_only(self, path, data):
        raise PermissionError(13, "read-only", str(path))

    monkeypatch.setattr(KeyStore, "_write", read_only)
    again = KeyStore(ws).signing_key("藏龙御景小区党支部筹备组", "prep_group")
    assert again.cert == first.cert and not list((ws.keys_dir / "checked").glob("*.json"))


def test_a_broken_font_folder_is_made_again(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = Path(fonts.font_dirs(fonts.faces())[0])
    next(folder.iterdir()).unlink()  # a link removed by hand
    assert fonts.font_dirs(fonts.faces()) == [str(folder)]
    assert {os.path.realpath(p) for p in folder.iterdir()} == \
           {os.path.realpath(f.path) for f in (*fonts.faces().values(), *fonts.fallbacks())}


def test_a_one_shot_command_runs_without_the_cycle_collector_and_gives_it_back(tmp_path: Path, monkeypatch) -> None:
    import gc

    from click.testing import CliRunner

    from sanfang_docs.api import Sanfang
    from sanfang_docs.cli import main

    seen: list[bool] = []
    real = Sanfang.catalog
    monkeypatch.setattr(Sanfang, "catalog", lambda self: seen.append(gc.isenabled()) or real(self))
    assert gc.isenabled()
    done = CliRunner().invoke(main, ["catalog", "--home", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert seen == [False] and gc.isenabled()
    done = CliRunner().invoke(main, ["org", "list", "--home", str(tmp_path)])  # not a one-shot: untouched
    assert gc.isenabled()
