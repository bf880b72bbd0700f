"""Shared event contracts of the 95598 platform (CloudEvents 1.0 envelope, versioned events, org-unit tree)."""

from hotline_contracts.envelope import Envelope, EventData, make_event
from hotline_contracts.registry import EVENTS, EventSpec, spec_for_topic, spec_for_type
from hotline_contracts.tenancy import OrgLevel, OrgUnit

__all__ = [
    "EVENTS",
    "Envelope",
    "EventData",
    "EventSpec",
    "OrgLevel",
    "OrgUnit",
    "make_event",
    "spec_for_topic",
    "spec_for_type",
]
