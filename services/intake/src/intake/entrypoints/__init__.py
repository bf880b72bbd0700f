"""HTTP routes and Kafka consumers: parse → call a use case → map errors."""
