"""Registers kept beside the archive: the 实事登记簿 of 示范文本9 (matters.py) and the
organisations (organisations.py) — later the 发文字号. A register plugs into filing through a
document hook (:mod:`sanfang_docs.interview.hooks`) or, for what every document feeds, an
archive listener registered by the API. May import: ``archive``, ``interview``, ``rules``,
``documents``, ``errors``, ``workspace``.
"""
