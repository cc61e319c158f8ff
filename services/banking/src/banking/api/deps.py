"""Dependencies the routes share: the use cases of ``bootstrap``'s graph."""

from __future__ import annotations

from typing import Annotated

from lift_core.graph import use_case

from banking.bootstrap import Banking
from banking.service.accounts import Accounts
from banking.service.payments import Payments
from banking.service.transfers import Transfers

AccountsService = Annotated[Accounts, use_case(Banking, "accounts")]
TransfersService = Annotated[Transfers, use_case(Banking, "transfers")]
PaymentsService = Annotated[Payments, use_case(Banking, "payments")]
