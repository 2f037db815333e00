"""A running service serves its AsyncAPI document at /asyncapi: the one in docs/asyncapi."""

from __future__ import annotations

from pathlib import Path

from tests.support.harness import client_for, migrated

from services.survey.app import create_app
from services.survey.settings import Settings

DOCS = Path(__file__).resolve().parents[3] / "docs" / "asyncapi"


async def test_a_running_service_serves_the_committed_asyncapi_document(bus, nats_server, tmp_path):
    await bus.declare_streams("archive", "dispatch", "intake")
    settings = migrated(Settings(nats_url=nats_server.url, data_dir=str(tmp_path), log_json=True))
    async with client_for(create_app(settings)) as client:
        r = await client.get("/asyncapi")
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
        assert r.content == (DOCS / "survey.json").read_bytes()
        assert "/asyncapi" not in (await client.get("/schema/openapi.json")).json()["paths"]
