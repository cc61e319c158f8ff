"""What each service audits: which actions map to which controls, and for how long."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

PCI_DSS = "PCI DSS 10.2"
HIPAA = "HIPAA 164.312(b)"
SOC2 = "SOC 2 CC7.2"
GDPR = "GDPR art. 30"
FRAMEWORKS = {"pci-dss": PCI_DSS, "hipaa": HIPAA, "soc2": SOC2, "gdpr": GDPR}


@dataclass(frozen=True, slots=True)
class ActionRule:
    controls: tuple[str, ...]
    retention_days: int
    sensitive: bool = False  # access to sensitive resources (PHI, card data, PII)
    emergency: bool = False  # break-glass and other emergency access


class AuditPolicy:
    """Rules by action; ``"payment.*"`` matches every action starting with ``payment.``."""

    def __init__(self, rules: Mapping[str, ActionRule], default: ActionRule) -> None:
        self.rules = dict(rules)
        self.default = default

    def rule(self, action: str) -> ActionRule:
        if action in self.rules:
            return self.rules[action]
        best = max(
            (p for p in self.rules if p.endswith(".*") and action.startswith(p[:-1])),
            key=len,
            default=None,
        )
        return self.rules[best] if best else self.default

    def retention_classes(self) -> list[int]:
        return sorted({r.retention_days for r in (*self.rules.values(), self.default)})
