"""The banking service."""
