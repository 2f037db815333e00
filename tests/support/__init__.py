"""Helpers the tests share: a nats-server per run with an account per test, waiting on
conditions, settings for a service under test, archive facts registered."""
