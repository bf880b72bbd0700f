"""Analytics and reports service (统计报表)."""
