"""The secrets-at-rest scan: what the suites leave in the emulator's tables, read back item by
item. The root conftest runs it over every table of every test and of the session before they
are dropped: no card number, SSN or restricted canary (the PII/PHI values tests declare) may
be stored in clear anywhere."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from lift_core.redaction import find_sensitive

# Generated hex (hashes, blind indexes, trace ids, uuid-based ids) is not content, and a
# digit run inside one can pass Luhn by chance; a hex run holds at least one letter a-f.
_GENERATED_HEX = re.compile(r"(?<![0-9A-Za-z])[A-Za-z]*_?(?=[0-9a-f]*[a-f])[0-9a-f]{16,}")


def _strings_of(value: Any) -> Iterator[str]:
    """Every string and binary (decoded) inside one DynamoDB attribute value."""
    for kind, inner in value.items():
        if kind == "S":
            yield inner
        elif kind == "B":
            yield bytes(inner).decode("utf-8", errors="replace")
        elif kind in ("SS", "BS"):
            for v in inner:
                yield v if kind == "SS" else bytes(v).decode("utf-8", errors="replace")
        elif kind == "L":
            for v in inner:
                yield from _strings_of(v)
        elif kind == "M":
            for k, v in inner.items():
                yield k
                yield from _strings_of(v)


def stored_findings(client: Any, table: str, canaries: Iterable[str] = ()) -> list[str]:
    """Card numbers, SSNs and restricted canaries held in clear anywhere in ``table``: every
    item, every attribute, idempotency records and caches included."""
    canaries = tuple(canaries)
    leaks = []
    for page in client.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            for name, value in item.items():
                for text in _strings_of(value):
                    content = _GENERATED_HEX.sub("", text)
                    kinds = {k for k in find_sensitive(content) if k in ("pan", "ssn")}
                    kinds |= {"restricted"} if any(c in text for c in canaries) else set()
                    if kinds:
                        leaks.append(f"{table}.{name}: {sorted(kinds)}")
    return leaks


_GENERATED_IDS = ("trace_id", "span_id", "request_id", "correlation_id", "lambda_request_id")


def log_line_findings(line: str, canaries: Iterable[str] = ()) -> list[str]:
    """Card numbers, SSNs, credentials and restricted canaries in one JSON log line.

    Generated ids are not content, and one that happens to be all digits can pass Luhn (a
    16-digit span id about once in 20,000 lines): the line is scanned without them."""
    try:
        fields = json.loads(line)
    except ValueError:
        content = line
    else:
        if isinstance(fields, dict):
            for generated in _GENERATED_IDS:
                fields.pop(generated, None)
        content = json.dumps(fields)
    kinds = [k for k in find_sensitive(content) if k in ("pan", "ssn", "credential")]
    return kinds + (["restricted"] if any(c in content for c in canaries) else [])
