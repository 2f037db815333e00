"""The escalation inbox: every escalated job for the supervisor and the manager, the most pressing first."""
