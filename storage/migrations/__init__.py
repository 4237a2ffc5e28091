"""Alembic migrations of the Frontline schema (run them with `Database.upgrade`)."""
