"""Transfers, payments and refunds. Each needs an Idempotency-Key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from lift_core.auth import CurrentPrincipal

from banking.api.deps import IdempotencyKey, MovementsService
from banking.api.schemas import (
    CreatePayment,
    CreateRefund,
    CreateTransfer,
    PaymentOut,
    RefundOut,
    TransferOut,
)
from banking.domain.money import Money

router = APIRouter(prefix="/api/v1", tags=["movements"])


def _created(response: Response, created: bool) -> None:
    response.status_code = 201 if created else 200
    if not created:
        response.headers["Idempotent-Replayed"] = "true"


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
    movements: MovementsService,
    response: Response,
) -> dict[str, Any]:
    transfer, created = movements.transfer(
        principal,
        key=key,
        source_id=body.source_account_id,
        destination_id=body.destination_account_id,
        money=Money(body.amount, body.currency),
        reference=body.reference,
    )
    _created(response, created)
    return transfer


@router.get("/transfers/{transfer_id}", response_model=TransferOut, summary="One transfer")
def get_transfer(
    transfer_id: str, principal: CurrentPrincipal, movements: MovementsService
) -> dict[str, Any]:
    return movements.get_transfer(principal, transfer_id)


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
    movements: MovementsService,
    response: Response,
) -> dict[str, Any]:
    payment, created = movements.pay(
        principal,
        key=key,
        payer_id=body.payer_account_id,
        merchant_id=body.merchant_account_id,
        money=Money(body.amount, body.currency),
        method=body.method,
        card_token=body.card_token,
        reference=body.reference,
    )
    _created(response, created)
    return payment


@router.get(
    "/payments",
    response_model=PaymentOut,
    summary="Find a payment by the Idempotency-Key it was made with",
)
def find_payment(
    principal: CurrentPrincipal,
    movements: MovementsService,
    idempotency_key: Annotated[str, Query(min_length=1, max_length=255)],
) -> dict[str, Any]:
    return movements.find_payment(principal, idempotency_key)


@router.get("/payments/{payment_id}", response_model=PaymentOut, summary="One payment")
def get_payment(
    payment_id: str, principal: CurrentPrincipal, movements: MovementsService
) -> dict[str, Any]:
    return movements.get_payment(principal, payment_id)


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
    movements: MovementsService,
    response: Response,
) -> dict[str, Any]:
    refund, created = movements.refund(
        principal, payment_id, key=key, amount=body.amount, reason=body.reason
    )
    _created(response, created)
    return refund
