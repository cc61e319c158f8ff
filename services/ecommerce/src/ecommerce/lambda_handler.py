"""AWS Lambda entry: ``ecommerce.lambda_handler.handler``."""

from __future__ import annotations

from lift_core.lambda_handler import lambda_handler

from ecommerce.main import create_ecommerce_app

handler = lambda_handler(create_ecommerce_app)
