"""The event catalogue: one versioned JSON Schema per event type in ``contracts/events/``
(``<type>.v<version>.json``) for the document the bus carries (``DomainEvent.detail()``)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from lift_core.events import DomainEvent

EVENTS_DIR = Path(__file__).resolve().parents[1] / "contracts" / "events"


@cache
def validator(event_type: str, version: int) -> Draft202012Validator:
    schema = json.loads((EVENTS_DIR / f"{event_type}.v{version}.json").read_text())
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def assert_in_catalogue(event: DomainEvent) -> None:
    """``event`` as published matches its type's schema (every error listed)."""
    detail: dict[str, Any] = json.loads(json.dumps(event.detail()))
    errors = [e.message for e in validator(event.type, event.version).iter_errors(detail)]
    assert not errors, f"{event.type} v{event.version} does not match its schema: {errors}"
