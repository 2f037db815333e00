"""Signed no-login survey links: the occupant answers a return visit online."""
