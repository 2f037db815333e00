"""The console keeps no business data: every record it shows belongs to the service that
owns it, read through that service's API with the signed-in person's token. Sessions live
in an encrypted cookie. Its one table is each person's own settings (the language)."""

from __future__ import annotations

import sqlalchemy as sa

from libs.runtime.db import UtcDateTime
from libs.runtime.db.migrate import service_metadata

metadata = service_metadata(__file__)

preferences = sa.Table(
    "preferences",
    metadata,
    sa.Column("username", sa.String(100), primary_key=True),
    sa.Column("language", sa.String(10), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)
