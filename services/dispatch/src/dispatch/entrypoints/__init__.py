"""Entrypoints: HTTP routers and Kafka consumers (parse → call a use case → map errors)."""
