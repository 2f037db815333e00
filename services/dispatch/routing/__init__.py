"""Routing: each plaza's keyword table that sends a request to a department, and its priority."""
