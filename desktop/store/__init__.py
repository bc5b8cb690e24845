"""Persistence: SQLModel tables on SQLite, migrations and repositories."""
