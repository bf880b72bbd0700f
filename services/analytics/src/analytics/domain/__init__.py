"""Analytics domain: daily aggregates of the ticket lifecycle (工单统计), plain Python."""
