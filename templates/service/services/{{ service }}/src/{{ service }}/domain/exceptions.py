"""The domain's business errors. No HTTP here: ``main.ERRORS`` maps each to a status."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule the domain enforces."""


class InvalidCase(DomainError):
    """The case breaks a rule of its own (amount out of range, blank title)."""


class CaseNotFound(DomainError):
    """Unknown, in another tenant, or not the caller's: indistinguishable on purpose."""


class NotPermitted(DomainError):
    """The caller's roles do not allow this action."""


class SelfDecision(DomainError):
    """Nobody decides a case they opened themselves (four-eyes rule)."""


class CaseClosed(DomainError):
    """The case was already decided or withdrawn."""


class ReasonRequired(DomainError):
    """A rejection must say why."""


class ConcurrentUpdate(DomainError):
    """Someone changed the case since it was read; read it again."""
