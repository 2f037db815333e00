"""Work orders: opening with SLA deadlines, the lifecycle, charge lines, escalations, the second dispatch (二次派单)."""
