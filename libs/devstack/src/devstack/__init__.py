"""Embedded development stack: the launcher (`./dev up`), demo seeding and dev tokens."""
