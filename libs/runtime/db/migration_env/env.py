"""Alembic's env.py for every service: one file, the service's revisions in its own
``services/<name>/migrations/versions`` (libs/runtime/db/migrate.py sets the folders and
hands over the connection, the tables and the schema)."""

from alembic import context

from libs.runtime.db import migrate

migrate.run_env(context)
