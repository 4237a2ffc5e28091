"""SQL storage for Frontline: the repository ports on SQLAlchemy, with Alembic migrations."""
