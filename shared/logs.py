"""JSON log lines for both services: one object per line, RFC 3339 UTC timestamps with
milliseconds, on stderr. Each service adds its own context (the API: the request id)."""

import json
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

# Said by Alembic each time a migration context opens, which /readyz does on every probe.
_ALEMBIC_CHATTER = ("Context impl ", "Will assume ")


def timestamp(created: float) -> str:
    """`2026-12-01T05:16:17.123Z`"""
    moment = datetime.fromtimestamp(created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    def __init__(self, context: Callable[[], dict[str, Any]] | None = None) -> None:
        super().__init__()
        self.context = context

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if self.context is not None:
            entry.update(self.context())
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def _not_chatter(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith(_ALEMBIC_CHATTER)


def configure(level: str, context: Callable[[], dict[str, Any]] | None = None) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(context))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    migration = logging.getLogger("alembic.runtime.migration")
    if _not_chatter not in migration.filters:
        migration.addFilter(_not_chatter)
