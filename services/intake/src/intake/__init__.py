"""Intake service (受理)."""
