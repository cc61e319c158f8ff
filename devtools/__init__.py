"""Development-only tooling (never shipped): the embedded AWS emulator."""
