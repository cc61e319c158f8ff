"""The healthcare service."""
