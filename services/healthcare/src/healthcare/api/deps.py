"""Dependencies the routes share: the use cases, and the stated purpose of a PHI access."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from healthcare.bootstrap import Clinic
from healthcare.domain.access import Purpose
from healthcare.service.billing import Billing
from healthcare.service.charts import Charts
from healthcare.service.directory import Directory


def _clinic(request: Request) -> Clinic:
    clinic: Clinic = request.app.state.clinic
    return clinic


def _charts(request: Request) -> Charts:
    return _clinic(request).charts


def _directory(request: Request) -> Directory:
    return _clinic(request).directory


def _billing(request: Request) -> Billing:
    return _clinic(request).billing


ChartsService = Annotated[Charts, Depends(_charts)]
DirectoryService = Annotated[Directory, Depends(_directory)]
BillingService = Annotated[Billing, Depends(_billing)]
StatedPurpose = Annotated[
    Purpose, Query(description="why the PHI is accessed: treatment, payment or operations")
]
