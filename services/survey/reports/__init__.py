"""The monthly satisfaction report: return visits and campaigns per department and dimension."""
