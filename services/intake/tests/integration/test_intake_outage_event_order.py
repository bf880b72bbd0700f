"""Outage events arrive on different topics, so in any order: the projection must end up the same (real SecantusDB)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient

from hotline_contracts.events.outage import OutagePublishedV1, OutageRestoredV1, OutageScope, OutageStartedV1
from intake.adapters.mongo_directory import MongoOutages
from intake.bootstrap import fake_bootstrap
from intake.entrypoints.translate import outage_command
from intake.projection import apply_outage
from intake.settings import Settings
from servicekit.mongo import TenantDatabases

pytestmark = pytest.mark.integration
T = "370102"
NOW = datetime.now(UTC)


def published(outage_id: str) -> OutagePublishedV1:
    start = NOW + timedelta(hours=2)  # announced for later: it links calls only once it has started
    return OutagePublishedV1(
        outage_id=outage_id, outage_type="planned", scope=OutageScope(feeder_codes=["370102-S01-F01"]), planned_start=start,
        planned_end=start + timedelta(hours=4), cause="10kV线路计划检修", reporting_unit=T, affected_customers=80,
        notice_text="计划检修停电", published_by="agent:leader", published_at=NOW,
    )


@pytest.fixture
async def outages(mongo_uri, unique_name):
    client = AsyncMongoClient(mongo_uri, tz_aware=True)
    projection = MongoOutages(TenantDatabases(client, Settings(mongo_uri=mongo_uri, mongo_db_prefix=f"t{unique_name}", hosted_tenants=[T])))
    await projection.ensure_indexes(T)
    yield projection
    await client.close()


async def apply(projection: MongoOutages, *events) -> None:
    deps = dataclasses.replace(fake_bootstrap([T]), outage_projection=projection)
    for data in events:
        await apply_outage(T, outage_command(T, data), deps=deps)


async def test_a_start_that_overtakes_its_publication_still_makes_the_outage_link_calls(outages):
    early = published("TD-EARLY")
    await apply(outages, OutageStartedV1(outage_id="TD-EARLY", started_at=NOW, reported_by="crew:c1"))
    assert await outages.active(T) == []  # nothing to link against yet: no scope
    await apply(outages, early)
    (outage,) = await outages.active(T)
    assert outage.outage_id == "TD-EARLY" and outage.started and outage.in_effect(NOW)
    assert outage.feeder_codes == ("370102-S01-F01",)


async def test_in_order_events_give_the_same_outage_and_a_republication_keeps_the_start(outages):
    await apply(outages, published("TD-ORDER"), OutageStartedV1(outage_id="TD-ORDER", started_at=NOW, reported_by="crew:c1"))
    await apply(outages, published("TD-ORDER"))  # republished (e.g. relay recovery): must not undo the start
    (outage,) = await outages.active(T)
    assert outage.outage_id == "TD-ORDER" and outage.started


async def test_an_end_that_overtakes_its_publication_keeps_the_outage_ended(outages):
    await apply(outages, OutageRestoredV1(outage_id="TD-OVER", restored_at=NOW, reported_by="crew:c1"), published("TD-OVER"))
    assert await outages.active(T) == []
