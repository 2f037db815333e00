"""Corrections: a job re-routed to another department, and the desk's reclassification of a request followed."""
