"""Wire models both services speak: problems, pages, and (later) experiments and verdicts."""

from shared.schemas.common import FieldError, Page, Problem

__all__ = ["FieldError", "Page", "Problem"]
