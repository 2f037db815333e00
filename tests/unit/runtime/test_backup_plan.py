"""What a backup takes, read from the services' own settings."""

from __future__ import annotations

import json

from libs.contracts import STREAMS
from libs.runtime.backup.plan import SERVICES, STREAM_NAMES, nats_place, service_places
from scripts import system


def test_every_process_the_system_runs_is_backed_up():
    assert sorted(SERVICES) == sorted(system.SERVICES)
    assert set(STREAM_NAMES) == {spec.name for spec in STREAMS.values()} | {"DEADLETTER"}


def test_each_database_is_where_its_service_finds_it():
    env = {"PLAZADESK_DATA_DIR": "/srv/pd", "INTAKE_DATABASE_URL": "sqlite:////elsewhere/intake.db",
           "BILLING_DATABASE_URL": "postgresql+asyncpg://pd@db/plazadesk", "BILLING_DATABASE_SCHEMA": "money"}
    places = {p.service: p for p in service_places(env)}
    assert places["dispatch"].database_url == "sqlite:////srv/pd/dispatch.db"
    assert places["intake"].database_url == "sqlite:////elsewhere/intake.db"
    assert (places["billing"].database_url, places["billing"].database_schema) == ("postgresql+asyncpg://pd@db/plazadesk", "money")
    assert places["archive"].data_files == ("documents",) and places["archive"].data_dir == "/srv/pd"
    shared = {p.service: p for p in service_places({"PLAZADESK_DATABASE_URL": "postgresql+asyncpg://pd@db/plazadesk"})}
    assert shared["survey"].database_schema == "survey" and shared["console"].database_schema == "console"


def test_the_operator_connects_with_the_deploy_password_or_make_runs(tmp_path):
    place = nats_place({"PLAZADESK_NATS_URL": "nats://a:4222,nats://b:4222", "OPERATOR_NATS_PASSWORD": "pw"})
    assert (place.servers, place.user, place.password) == (["nats://a:4222", "nats://b:4222"], "operator", "pw")
    (tmp_path / "nats").mkdir()
    (tmp_path / "nats" / "passwords.json").write_text(json.dumps({"operator": "kept", "intake": "x"}))
    assert nats_place({"PLAZADESK_DATA_DIR": str(tmp_path)}).password == "kept"
    assert nats_place({"PLAZADESK_DATA_DIR": str(tmp_path / "none"), "PLAZADESK_NATS_URL": "nats://u:p@h:4222"}).user == ""
