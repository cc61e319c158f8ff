"""Field classification declared on models with ``Annotated`` metadata.

``ssn: Annotated[str, Classified(Classification.RESTRICTED)]``. The same declaration drives
log redaction (confidential and restricted names are redacted), audit details (restricted
values never reach the trail) and response shaping (services mask per role).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from pydantic import BaseModel

from lift_core.redaction import register_sensitive_fields


class Classification(IntEnum):
    PUBLIC = 0
    INTERNAL = 1
    CONFIDENTIAL = 2
    RESTRICTED = 3


@dataclass(frozen=True, slots=True)
class Classified:
    level: Classification


def classified_fields(model: type[BaseModel]) -> dict[str, Classification]:
    """Every field of ``model`` with its classification (INTERNAL when undeclared)."""
    result: dict[str, Classification] = {}
    for name, info in model.model_fields.items():
        marks = [m.level for m in info.metadata if isinstance(m, Classified)]
        result[name] = max(marks) if marks else Classification.INTERNAL
    return result


def register_classified(*models: type[BaseModel]) -> None:
    """Make logging redact every confidential or restricted field of these models."""
    for model in models:
        register_sensitive_fields(
            name
            for name, level in classified_fields(model).items()
            if level >= Classification.CONFIDENTIAL
        )
