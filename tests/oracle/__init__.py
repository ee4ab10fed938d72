"""docassemble as the oracle for our interview runner.

``venv.py`` builds a cached virtualenv with docassemble.base; ``da_driver.py`` runs inside it
and drives our interviews with docassemble's own engine; ``tests/test_docassemble_oracle.py``
compares the screens it asks with ``sanfang_docs.interview.drive.trace``.
"""
