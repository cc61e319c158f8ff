"""JSON log lines carrying the request context, with redaction applied to every field."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any

from lift_core import context
from lift_core.redaction import redact, redact_text

# Attributes every LogRecord has; anything else passed through ``extra=`` is a field.
_RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, context ids, extra fields."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service
        # On Lambda, the version serving this line ("7", or "$LATEST"): the deployment
        # alarms count 5xx answers per version (infra/sam, the ServerErrors metric filter).
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")

    def format(self, record: logging.LogRecord) -> str:
        # Context fields are ids lift_core made; the message, extra fields and stack traces
        # may carry anything, so those are redacted.
        line: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "service": self.service,
        }
        # Fields the emitting code built from values it vouches for (the access line: method,
        # route template, status, duration, a checked client address) are not redacted.
        trusted: tuple[str, ...] = record.__dict__.get("_trusted", ())
        message = record.getMessage()
        line["message"] = message if "message" in trusted else redact_text(message)
        if self.function_version:
            line["function_version"] = self.function_version
        ctx = context.current()
        if ctx is not None:
            line["request_id"] = ctx.request_id
            line["correlation_id"] = ctx.correlation_id
            if ctx.trace_id:
                line["trace_id"] = ctx.trace_id
                line["span_id"] = ctx.span_id
            if ctx.principal is not None:
                line["tenant_id"] = ctx.principal.tenant_id
                line["subject"] = redact_text(ctx.principal.subject)  # may be an e-mail
            if ctx.lambda_request_id:
                line["lambda_request_id"] = ctx.lambda_request_id
                line["cold_start"] = ctx.cold_start
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                line[key] = value if key in trusted else redact(value, key)
        if record.exc_info:
            line["exception"] = redact_text(self.formatException(record.exc_info))
        return json.dumps(line, default=str, separators=(",", ":"))


def configure_logging(service: str, level: str = "INFO") -> None:
    """Route the root logger to stdout as JSON lines. Safe to call more than once."""
    # The logging HOWTO's "Optimization" switches: the JSON lines carry none of these fields,
    # and looking up the caller walks the whole ASGI stack on every access-log line.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler.formatter, JsonFormatter):
            handler.formatter.service = service
            root.setLevel(level)
            return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn's own access log would duplicate ours and is not redacted: route it to root.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    # On Lambda, Mangum logs every response at INFO too; keep only its errors.
    logging.getLogger("mangum.http").setLevel(logging.WARNING)
