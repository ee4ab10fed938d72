"""The web app (DESIGN.md "Web"), not built yet: server-rendered Chinese pages over the library
API. May import: ``api`` and ``errors`` only, like the CLI.
"""
