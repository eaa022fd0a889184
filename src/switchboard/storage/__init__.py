"""Durable storage: the event log, outbox and snapshots in SQLite (embedded) or PostgreSQL."""
