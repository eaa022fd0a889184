"""Switchboard: an open-source contact-center engine with Amazon Connect's semantics and formats."""

__version__ = "0.1.0"
