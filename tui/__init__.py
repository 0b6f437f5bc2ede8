"""The Textual terminal UI (arrives with the live bridge)."""
