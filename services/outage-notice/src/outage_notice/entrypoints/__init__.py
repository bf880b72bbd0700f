"""HTTP and Kafka entrypoints: parse → call a use case → map errors."""
