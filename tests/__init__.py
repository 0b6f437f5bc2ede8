"""Test suite of Beat Generation."""
