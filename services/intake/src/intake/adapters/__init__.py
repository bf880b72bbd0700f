"""Adapters: Mongo for production, memory for unit tests."""
