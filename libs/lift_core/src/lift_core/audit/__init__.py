"""Tamper-evident compliance audit: hash chains in DynamoDB, verification, digests, reports."""

from lift_core.audit.chain import GENESIS_HASH, AuditEvent, compute_hash
from lift_core.audit.log import (
    AuditLog,
    InMemoryAuditLog,
    NothingWritten,
    Recorded,
    Staged,
    Unstaged,
    Within,
    written,
)
from lift_core.audit.policy import (
    FRAMEWORKS,
    GDPR,
    HIPAA,
    PCI_DSS,
    SOC2,
    ActionRule,
    AuditPolicy,
)
from lift_core.audit.recorder import ANONYMOUS_TENANT, AuditRecorder
from lift_core.audit.router import compliance_router
from lift_core.audit.store import AuditRecord, DynamoAuditStore, StagedAppend
from lift_core.audit.verify import Digest, Verification, prove, verify_events

__all__ = [
    "ANONYMOUS_TENANT",
    "FRAMEWORKS",
    "GDPR",
    "GENESIS_HASH",
    "HIPAA",
    "PCI_DSS",
    "SOC2",
    "ActionRule",
    "AuditEvent",
    "AuditLog",
    "AuditPolicy",
    "AuditRecord",
    "AuditRecorder",
    "Digest",
    "DynamoAuditStore",
    "InMemoryAuditLog",
    "NothingWritten",
    "Recorded",
    "Staged",
    "StagedAppend",
    "Unstaged",
    "Verification",
    "Within",
    "compliance_router",
    "compute_hash",
    "prove",
    "verify_events",
    "written",
]
