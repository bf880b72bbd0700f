"""Dispatch service (调度)."""
