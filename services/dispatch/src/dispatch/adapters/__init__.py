"""Adapters: MongoDB and in-memory implementations of the ports."""
