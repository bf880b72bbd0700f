"""Adapters of the outage-notice ports: Mongo, in-memory fakes, gateways."""
