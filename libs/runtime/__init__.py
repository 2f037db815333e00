"""The small runtime every PlazaDesk service uses the same way.

outbox + relay, inbox, consumer with dead-letter, database, HTTP plumbing, logging,
settings. Nothing in here knows about any one service's domain.
"""
