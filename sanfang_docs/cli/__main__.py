"""``python -m sanfang_docs.cli``: the same as ``sanfang``."""

from . import main

main()
