"""Views: read models in SQL tables (SQLite by aiosqlite, PostgreSQL by asyncpg), rebuilt from the log."""
