"""Shared service kit for Lift services: one app factory and what it assembles."""

from lift_core.app import create_app
from lift_core.config import Environment, LiftSettings

__all__ = ["Environment", "LiftSettings", "create_app"]
