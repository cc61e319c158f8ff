"""Resilient service-to-service calls for Lift services."""
