"""What a service's NATS user means at run time.

Each service connects as its own user (``ServiceSettings.nats_user``), whose permissions
(scripts/natsconf.py writes them into the server's configuration) let it subscribe only
under its own inbox: every reply it waits for (JetStream API answers, publish
acknowledgements, the messages its pull consumers fetch) comes there. With the shared
``_INBOX.>`` any user could read the messages fetched by every other one.
"""

from __future__ import annotations

INBOX = "_INBOX"


def inbox_prefix(user: str) -> str:
    """``_INBOX.<user>``: the user's replies; nats-py appends ``.<unique id>``."""
    return f"{INBOX}.{user}"
