"""Response shaping: show each role only the fields its clearance allows (minimum necessary)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

from lift_core.protection.classification import Classification, classified_fields


def shape(
    model: BaseModel,
    *,
    clearance: Classification,
    masks: Mapping[str, Callable[[str], str]] | None = None,
) -> dict[str, Any]:
    """The model's fields as the caller may see them. A field classified above
    ``clearance`` is replaced by its mask when one is given (``{"ssn": mask_last_four}``)
    and left out otherwise."""
    levels = classified_fields(type(model))
    shown: dict[str, Any] = {}
    for name, value in model.model_dump().items():
        if levels.get(name, Classification.INTERNAL) <= clearance:
            shown[name] = value
        elif masks and name in masks and isinstance(value, str):
            shown[name] = masks[name](value)
    return shown
