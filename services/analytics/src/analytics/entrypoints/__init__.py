"""Analytics entrypoints: HTTP reports and Kafka consumers."""
