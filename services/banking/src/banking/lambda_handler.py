"""AWS Lambda entry: ``banking.lambda_handler.handler``."""

from __future__ import annotations

from banking.main import create_banking_app
from lift_core.lambda_handler import lambda_handler

handler = lambda_handler(create_banking_app)
