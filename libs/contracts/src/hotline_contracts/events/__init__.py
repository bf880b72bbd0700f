"""Versioned event payloads, one module per flow; ALL_EVENTS feeds the registry."""

from hotline_contracts.envelope import EventData
from hotline_contracts.events.customer import CustomerUpsertedV1
from hotline_contracts.events.deadletter import DeadLetteredV1
from hotline_contracts.events.dispatch import (
    CrewAcceptedV1,
    CrewArrivedV1,
    CrewAssignedV1,
    CrewDepartedV1,
    CustomerContactedV1,
    RepairCompletedV1,
    ReplyAuditedV1,
    ReplySubmittedV1,
    TicketDispatchedV1,
)
from hotline_contracts.events.notification import NotificationRequestedV1, NotificationSentV1
from hotline_contracts.events.outage import (
    OutageCancelledV1,
    OutagePublishedV1,
    OutageReportedV1,
    OutageRestoredV1,
    OutageStartedV1,
    OutageUpdatedV1,
)
from hotline_contracts.events.report import ReportPublishedV1
from hotline_contracts.events.shift import ShiftHandoverPublishedV1
from hotline_contracts.events.survey import ReturnVisitCompletedV1, ReturnVisitScheduledV1, ReturnVisitSkippedV1
from hotline_contracts.events.ticket import (
    TicketClosedV1,
    TicketCreatedV1,
    TicketLinkedToOutageV1,
    TicketReopenedV1,
    TicketRepeatContactV1,
    TicketReturnedV1,
    TicketStateChangedV1,
    TicketTransferredV1,
)
from hotline_contracts.events.timelimit import (
    SupervisionRaisedV1,
    TicketUrgedV1,
    TimeLimitBreachedV1,
    TimeLimitWarningV1,
)

ALL_EVENTS: list[type[EventData]] = [
    CustomerUpsertedV1,
    TicketCreatedV1,
    TicketRepeatContactV1,
    TicketLinkedToOutageV1,
    TicketStateChangedV1,
    TicketTransferredV1,
    TicketReturnedV1,
    TicketClosedV1,
    TicketReopenedV1,
    TicketDispatchedV1,
    CrewAssignedV1,
    CrewAcceptedV1,
    CrewDepartedV1,
    CrewArrivedV1,
    RepairCompletedV1,
    ReplySubmittedV1,
    ReplyAuditedV1,
    CustomerContactedV1,
    TimeLimitWarningV1,
    TimeLimitBreachedV1,
    TicketUrgedV1,
    SupervisionRaisedV1,
    OutageReportedV1,
    OutagePublishedV1,
    OutageUpdatedV1,
    OutageStartedV1,
    OutageRestoredV1,
    OutageCancelledV1,
    NotificationRequestedV1,
    NotificationSentV1,
    ReturnVisitScheduledV1,
    ReturnVisitCompletedV1,
    ReturnVisitSkippedV1,
    ReportPublishedV1,
    ShiftHandoverPublishedV1,
    DeadLetteredV1,
]

__all__ = ["ALL_EVENTS", *(model.__name__ for model in ALL_EVENTS)]
