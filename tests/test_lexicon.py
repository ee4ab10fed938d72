"""jieba's dictionary read piece by piece (documents/lexicon.py) cuts exactly as the whole one:
title word breaks stay what they were, without loading 500,000 entries in a filing process."""

from __future__ import annotations

from pathlib import Path

import pytest

from sanfang_docs.documents import lexicon

REPO = Path(__file__).resolve().parent.parent
NAMES = ["江南花山郡", "藏龙御景", "纸坊街道", "文化路社区", "融侨天玺湾", "中共武汉市江夏区纸坊街道文化路社区委员会",
         "三方联动", "红色物业", "业主委员会换届选举"]


def texts() -> list[str]:
    """Every line of our templates and interviews: titles, bodies, the manual's wording."""
    lines: list[str] = []
    for pattern in ("templates/**/*.md", "templates/**/*.txt", "interviews/*.yml", "interviews/*.yaml"):
        for path in sorted(REPO.glob(pattern)):
            lines += [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    return lines


def test_lazy_cuts_as_the_whole_dictionary() -> None:
    lines = texts()
    assert len(lines) > 500
    full = lexicon.import_jieba().Tokenizer()
    full.initialize()
    lazy = lexicon.tokenizer()
    assert isinstance(lazy, lexicon.LazyTokenizer)
    # Words added as the titles add them (a fixed frequency) and as search adds names (none:
    # jieba suggests one from the dictionary), interleaved with cuts, in the same order.
    for n, line in enumerate(lines):
        if n % 50 == 0:
            word = NAMES[(n // 50) % len(NAMES)]
            freq = 300000 if n % 100 == 0 else None
            full.add_word(word, freq=freq)
            lazy.add_word(word, freq=freq)
        for hmm in (False, True):
            assert list(lazy.cut(line, HMM=hmm)) == list(full.cut(line, HMM=hmm)), line
    assert lazy.tok.total == full.total
    assert len(lazy.tok.FREQ) < len(full.FREQ) / 5  # only the pieces those lines hold


def test_without_a_cache_the_whole_dictionary_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "/dev/null/not-a-folder")
    tok = lexicon.tokenizer()
    assert not isinstance(tok, lexicon.LazyTokenizer)
    assert list(tok.cut("江夏区纸坊街道", HMM=False)) == ["江夏区", "纸坊", "街道"]


def test_a_search_vocabulary_upgraded_lazily_cuts_as_one_built_whole() -> None:
    """A command-line process starts search from the query dictionary; filing a record then
    needs the whole dictionary: read piece by piece, it cuts as the whole one."""
    from sanfang_docs.search.analyzer import _BLOCK, Vocabulary

    full = Vocabulary(NAMES[:5])
    lazy = Vocabulary(cached=full.query_dict(["江南花山郡", "小区"]))
    for v in (full, lazy):
        v.add(NAMES[5:])  # names another process added since
    lines = texts()[:400]
    for line in lines:
        assert lazy.cut(line) == full.cut(line), line
        for m in _BLOCK.finditer(line):
            assert lazy.tokens(m.group(0), True) == full.tokens(m.group(0), True), m.group(0)
    assert lazy._lazy is not None and lazy.full
    lazy.materialize()  # what saving a query dictionary needs: every entry
    assert lazy.jieba.FREQ == full.jieba.FREQ and lazy.jieba.total == full.jieba.total
