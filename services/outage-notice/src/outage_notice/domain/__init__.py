"""Outage-notice domain (停电信息): plain dataclasses and pure functions."""
