"""Dependencies the routes share: the use cases of ``bootstrap``'s graph, and the stated
purpose of a PHI access."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from lift_core.graph import use_case

from healthcare.bootstrap import Clinic
from healthcare.domain.access import Purpose
from healthcare.service.billing import Billing
from healthcare.service.charts import Charts
from healthcare.service.directory import Directory

ChartsService = Annotated[Charts, use_case(Clinic, "charts")]
DirectoryService = Annotated[Directory, use_case(Clinic, "directory")]
BillingService = Annotated[Billing, use_case(Clinic, "billing")]
StatedPurpose = Annotated[
    Purpose, Query(description="why the PHI is accessed: treatment, payment or operations")
]
