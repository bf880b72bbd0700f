"""The provisioning step the Helm Job and compose run: topics and platform indexes on real servers."""

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

from devstack.provision import provision
from hotline_contracts.registry import all_topics
from servicekit.settings import ServiceSettings

pytestmark = pytest.mark.integration


async def test_provision_creates_every_registered_topic_and_is_idempotent(kafka_bootstrap, mongo_uri, unique_name):
    settings = ServiceSettings(kafka_bootstrap_servers=kafka_bootstrap, mongo_uri=mongo_uri, mongo_db_prefix=f"p{unique_name}")
    await provision(settings, partitions=2, replication=1)
    again = await provision(settings, partitions=2, replication=1)
    assert again == []
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        assert set(all_topics()) <= set(await admin.list_topics())
    finally:
        await admin.close()
    client = AsyncMongoClient(mongo_uri)
    indexes = await client[f"p{unique_name}_platform"]["org_units"].index_information()
    await client.close()
    assert any(info.get("unique") for info in indexes.values())
