"""Registers kept beside the archive: the 实事登记簿 of 示范文本9 (matters.py), the organisations
(organisations.py), the index of cited evidence for 示范文本13 (evidence.py), the web app's
accounts and the caller's scope (accounts.py, scope.py), what is due (deadlines.py, 待办) and a
catalogue of every record's listing fields kept current from the audit log (catalogue.py).
A register plugs into filing through a document hook (:mod:`sanfang_docs.interview.hooks`) or, for
what every document feeds, an archive listener registered by the API. May import: ``archive``,
``interview``, ``rules``,
``documents``, ``errors``, ``workspace``.
"""
