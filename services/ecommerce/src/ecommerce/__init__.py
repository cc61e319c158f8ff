"""The ecommerce service."""
