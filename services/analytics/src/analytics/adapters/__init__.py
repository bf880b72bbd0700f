"""Storage adapters for analytics: MongoDB and the in-memory fake."""
