"""sanfang-docs: document automation and archive for the 三方联动 mechanism.

The library API lives in :mod:`sanfang_docs.api`; the CLI and the web app only translate.
"""

__version__ = "0.1.0"
