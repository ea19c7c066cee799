"""Alembic runs inside ViewDatabase.migrate, on the connection it is handed; never from a config file."""

from alembic import context

from adapters.views.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
