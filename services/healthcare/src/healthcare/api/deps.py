"""Dependencies the routes share: the use cases, and the stated purpose of a PHI access."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from healthcare.domain.access import Purpose
from healthcare.service.billing import Billing
from healthcare.service.charts import Charts
from healthcare.service.directory import Directory


def _charts(request: Request) -> Charts:
    charts: Charts = request.app.state.charts
    return charts


def _directory(request: Request) -> Directory:
    directory: Directory = request.app.state.directory
    return directory


def _billing(request: Request) -> Billing:
    billing: Billing = request.app.state.billing
    return billing


ChartsService = Annotated[Charts, Depends(_charts)]
DirectoryService = Annotated[Directory, Depends(_directory)]
BillingService = Annotated[Billing, Depends(_billing)]
StatedPurpose = Annotated[
    Purpose, Query(description="why the PHI is accessed: treatment, payment or operations")
]
