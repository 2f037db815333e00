"""Feedback: praise credited to a department, suggestions for the manager."""
