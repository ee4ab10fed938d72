"""The few docassemble.base.util functions our interviews use, for our own runner.

On a docassemble server the real ones are used; an interview lists
``docassemble.base.util`` under ``modules`` and the runner maps it here.
"""

from __future__ import annotations

from datetime import date


class ValidationFailure(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


def validation_error(message: str, field: str | None = None) -> None:
    """Reject the current screen's answers with a message for the clerk."""
    raise ValidationFailure(message, field)


def today() -> date:
    return date.today()
