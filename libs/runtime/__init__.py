"""The small runtime every PlazaDesk service uses the same way.

bus/ (connection, streams, consumers with dead-letter, their fetch loop, the publisher,
and wire: everything below nats-py's public API), db/ (database, types, migrations,
bulk statements, SQLite), uow (the unit of work: state, outbox and inbox in one
transaction), relay, HTTP plumbing, logging, settings. Nothing in here knows about any one
service's domain.
"""
