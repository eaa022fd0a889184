"""Integration tests: our adapters against real servers (tests/services.py)."""
