"""Expiring keys: in memory (tests), in the SQL database (embedded default), in Redis (when configured)."""
