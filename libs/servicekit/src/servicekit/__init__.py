"""Shared plumbing for the five 95598 services: settings, logs, metrics, health, errors, auth, Mongo, Kafka."""
