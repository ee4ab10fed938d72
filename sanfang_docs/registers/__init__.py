"""Registers kept beside the archive: the 实事登记簿 of 示范文本9 (matters.py), the index of
cited evidence for 示范文本13 (evidence.py) — later the organisations and the 发文字号. A register plugs into filing through a document hook
(:mod:`sanfang_docs.interview.hooks`). May import: ``archive``, ``interview``, ``rules``,
``documents``, ``errors``, ``workspace``.
"""
