"""Transfers, payments and refunds. Each needs an Idempotency-Key."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Response

from lift_core.auth import CurrentPrincipal
from lift_core.idempotency import IdempotencyKey

from banking.api.deps import PaymentsService, TransfersService
from banking.api.schemas import (
    CreatePayment,
    CreateRefund,
    CreateTransfer,
    PaymentOut,
    RefundOut,
    TransferOut,
)
from banking.domain.money import Money
from banking.domain.payments import Outcome

router = APIRouter(prefix="/api/v1", tags=["movements"])


T = TypeVar("T")


def _answer(response: Response, outcome: Outcome[T]) -> T:
    """201 for what this call made; 200 and ``Idempotent-Replayed`` for a replay."""
    response.status_code = 201 if outcome.created else 200
    if not outcome.created:
        response.headers["Idempotent-Replayed"] = "true"
    return outcome.value


@router.post(
    "/transfers",
    status_code=201,
    response_model=TransferOut,
    summary="Move money between two accounts of the tenant",
)
def create_transfer(
    body: CreateTransfer,
    key: IdempotencyKey,
    principal: CurrentPrincipal,
    transfers: TransfersService,
    response: Response,
) -> Any:
    outcome = transfers.transfer(
        principal,
        key=key,
        source_id=body.source_account_id,
        destination_id=body.destination_account_id,
        money=Money(body.amount, body.currency),
        reference=body.reference,
    )
    return _answer(response, outcome)


@router.get("/transfers/{transfer_id}", response_model=TransferOut, summary="One transfer")
def get_transfer(transfer_id: str, principal: CurrentPrincipal, transfers: TransfersService) -> Any:
    return transfers.get(principal, transfer_id)


@router.post(
    "/payments",
    status_code=201,
    response_model=PaymentOut,
    summary="Charge a payer account for a merchant (declines carry reasons)",
)
def create_payment(
    body: CreatePayment,
    key: IdempotencyKey,
    principal: CurrentPrincipal,
    payments: PaymentsService,
    response: Response,
) -> Any:
    outcome = payments.pay(
        principal,
        key=key,
        payer_id=body.payer_account_id,
        merchant_id=body.merchant_account_id,
        money=Money(body.amount, body.currency),
        method=body.method,
        card_token=body.card_token,
        reference=body.reference,
    )
    return _answer(response, outcome)


@router.get(
    "/payments",
    response_model=PaymentOut,
    summary="Find a payment by the Idempotency-Key it was made with",
)
def payment_by_key(
    principal: CurrentPrincipal,
    payments: PaymentsService,
    idempotency_key: Annotated[str, Query(min_length=1, max_length=255)],
) -> Any:
    return payments.get_by_key(principal, idempotency_key)


@router.get("/payments/{payment_id}", response_model=PaymentOut, summary="One payment")
def get_payment(payment_id: str, principal: CurrentPrincipal, payments: PaymentsService) -> Any:
    return payments.get(principal, payment_id)


@router.post(
    "/payments/{payment_id}/refund",
    status_code=201,
    response_model=RefundOut,
    summary="Refund part or all of a payment (merchant or staff)",
)
def refund_payment(
    payment_id: str,
    body: CreateRefund,
    key: IdempotencyKey,
    principal: CurrentPrincipal,
    payments: PaymentsService,
    response: Response,
) -> Any:
    outcome = payments.refund(
        principal, payment_id, key=key, amount=body.amount, reason=body.reason
    )
    return _answer(response, outcome)
