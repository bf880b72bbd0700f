"""Outage notice service (停电信息)."""
