"""Intake domain (受理): plain dataclasses and pure functions."""
