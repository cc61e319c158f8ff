"""AWS Lambda entry: ``banking.lambda_handler.handler``."""

from __future__ import annotations

from lift_core.lambda_handler import lambda_handler

from banking.main import create_banking_app

handler = lambda_handler(create_banking_app)
