"""SLA: each plaza's policy (business calendar, allowances per class), the deadline rules, the clock."""
