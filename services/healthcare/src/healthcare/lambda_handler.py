"""AWS Lambda entry: ``healthcare.lambda_handler.handler``."""

from __future__ import annotations

from lift_core.lambda_handler import lambda_handler

from healthcare.main import create_healthcare_app

handler = lambda_handler(create_healthcare_app)
