"""The dispatch domain (调度): plain dataclasses and pure functions, no I/O."""
