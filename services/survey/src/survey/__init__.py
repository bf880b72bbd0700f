"""Return visit and survey service (回访与调查)."""
