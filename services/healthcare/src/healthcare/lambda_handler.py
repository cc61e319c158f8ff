"""AWS Lambda entry: ``healthcare.lambda_handler.handler``."""

from __future__ import annotations

from healthcare.main import create_healthcare_app
from lift_core.lambda_handler import lambda_handler

handler = lambda_handler(create_healthcare_app)
