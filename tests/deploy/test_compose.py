"""The compose files, read as Docker Compose reads them (YAML merge keys, the cluster file
merged over the main one) without an engine: every service starts only after what it needs
is healthy and the databases are migrated; NATS and PostgreSQL keep their data on volumes
and are not published on the host; PostgreSQL takes its password as a secret, with SCRAM;
intake scales behind the proxy."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest
import yaml

from scripts import system
from tests.deploy import tools

ROOT = tools.ROOT
SERVICES = tuple(system.SERVICES)  # every service the product runs
PUBLISHED = {"console": ["8000:8000"], "intake-proxy": ["8001:8080"]}


def load(path) -> dict:
    return yaml.safe_load((ROOT / path).read_text())


def merged(base: dict, override: dict) -> dict:
    """Compose's merge of an override file: mappings merge, `command` and scalars are
    replaced, volumes merge by their target path, ports and env_file add up."""
    out = copy.deepcopy(base)
    for name, svc in override.get("services", {}).items():
        target = out["services"].setdefault(name, {})
        for key, value in svc.items():
            if key in ("environment", "depends_on", "healthcheck", "deploy") and isinstance(target.get(key), dict):
                target[key] = {**target[key], **value}
            elif key == "volumes":
                by_target = {v.split(":")[1]: v for v in target.get(key, [])}
                by_target.update({v.split(":")[1]: v for v in value})
                target[key] = list(by_target.values())
            else:
                target[key] = copy.deepcopy(value)
    for section in ("volumes", "secrets"):
        out.setdefault(section, {}).update(override.get(section) or {})
    return out


SINGLE = load("docker-compose.yml")
CLUSTER = merged(SINGLE, load("deploy/nats/docker-compose.cluster.yml"))
FILES = {"single": SINGLE, "cluster": CLUSTER}


@pytest.fixture(params=sorted(FILES))
def compose(request) -> dict:
    return FILES[request.param]


# The Compose Specification's own schema (compose-spec/compose-spec, schema/compose-spec.json,
# Apache-2.0), as Docker Compose validates a file before anything else.
SCHEMA = json.loads((ROOT / "tests" / "deploy" / "compose-spec.json").read_text())


@pytest.mark.parametrize("path", ["docker-compose.yml", "deploy/nats/docker-compose.cluster.yml"])
def test_the_files_follow_the_compose_specification(path):
    jsonschema.Draft7Validator(SCHEMA).validate(load(path))
    jsonschema.Draft7Validator(SCHEMA).validate(CLUSTER)


def test_the_specification_refuses_what_compose_would():
    broken = copy.deepcopy(SINGLE)
    broken["services"]["intake"]["depends_on"]["nats"]["condition"] = "service_ready"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(SCHEMA).validate(broken)


def test_every_dependency_exists_and_is_waited_for_properly(compose):
    services = compose["services"]
    for name, svc in services.items():
        for target, how in (svc.get("depends_on") or {}).items():
            assert target in services, f"{name} depends on {target}, which is not defined"
            condition = how["condition"]
            if condition == "service_healthy":
                check = services[target].get("healthcheck")
                built = services[target].get("build") is not None  # the image's HEALTHCHECK on /health
                assert (check and not check.get("disable")) or built, f"{target} has no health check for {name}"
            else:
                assert condition == "service_completed_successfully" and target == "migrate", (name, target)


def test_each_service_waits_for_nats_postgres_and_the_migration(compose):
    for name in (*SERVICES, "backup"):
        needs = compose["services"][name]["depends_on"]
        assert needs["nats"] == {"condition": "service_healthy"}
        assert needs["postgres"] == {"condition": "service_healthy"}
        assert needs["migrate"] == {"condition": "service_completed_successfully"}
    nodes = [n for n in compose["services"] if n.startswith("nats")]
    for name in SERVICES:
        assert set(nodes) <= set(compose["services"][name]["depends_on"])


def test_the_migration_and_the_backup_run_the_product_commands():
    services = SINGLE["services"]
    assert services["migrate"]["command"] == ["python", "-m", "scripts.migrate"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    backup = services["backup"]
    script = " ".join(backup["command"])
    assert "python -m scripts.backup create --to /backups" in script and "while :" in script
    assert "sleep \"$${BACKUP_INTERVAL_S}\"" in script
    assert backup["environment"]["BACKUP_INTERVAL_S"].startswith("${BACKUP_INTERVAL_S:-")
    assert "backups:/backups" in backup["volumes"]
    for name in SERVICES:
        # Both read every service's database from the same variables the services read.
        assert f"{name.upper()}_DATABASE_URL" in services["migrate"]["environment"]
        assert f"{name.upper()}_DATABASE_URL" in backup["environment"]


def test_only_the_console_and_the_intake_proxy_are_published(compose):
    published = {name: svc["ports"] for name, svc in compose["services"].items() if svc.get("ports")}
    assert published == PUBLISHED


def test_intake_scales_behind_the_proxy():
    intake = SINGLE["services"]["intake"]
    assert "container_name" not in intake and "ports" not in intake
    proxy = SINGLE["services"]["intake-proxy"]
    name, _, tag = proxy["image"].partition(":")
    assert name == "nginx" and tag[0].isdigit()
    assert tuple(int(x) for x in tag.split("-")[0].split(".")) >= (1, 27, 3), "upstream `resolve` needs nginx 1.27.3"
    conf = (ROOT / "deploy" / "nginx" / "intake.conf").read_text()
    assert "server intake:8000 resolve;" in conf and "resolver 127.0.0.11" in conf and "zone intake" in conf
    [mount] = proxy["volumes"]
    assert mount.startswith("./deploy/nginx/intake.conf:")
    assert SINGLE["services"]["console"]["environment"]["PLAZADESK_INTAKE_URL"] == "http://intake:8000"


def test_nats_keeps_jetstream_on_a_named_volume_with_the_users_file(compose):
    nodes = {n: s for n, s in compose["services"].items() if n.startswith("nats")}
    assert len(nodes) == (1 if compose is SINGLE else 3)
    volumes = set()
    for name, node in nodes.items():
        mounts = {v.split(":")[1]: v.split(":")[0] for v in node["volumes"]}
        assert mounts["/data"] in compose["volumes"], f"{name}: JetStream's /data on a named volume"
        volumes.add(mounts["/data"])
        assert mounts["/etc/nats/users.conf"] == "./deploy/nats/users.conf"
        conf = node["command"][-1]
        assert mounts[conf] == f"./deploy/nats/{conf.rsplit('/', 1)[1]}"
        assert "store_dir: /data/jetstream" in (ROOT / "deploy" / "nats" / conf.rsplit("/", 1)[1]).read_text()
        assert node["env_file"] == [".env"]
        test = node["healthcheck"]["test"]
        assert "http://127.0.0.1:8222/healthz" in test
        assert node["image"].startswith("nats:2.") and node["image"].split(":")[1][0].isdigit()
    assert len(volumes) == len(nodes), "each node its own store"


def test_postgres_takes_its_password_as_a_secret_with_scram():
    pg = SINGLE["services"]["postgres"]
    env = pg["environment"]
    assert env["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres-password"
    assert "POSTGRES_PASSWORD" not in env and env["POSTGRES_HOST_AUTH_METHOD"] == "scram-sha-256"
    assert "--auth-host=scram-sha-256" in env["POSTGRES_INITDB_ARGS"]
    assert "trust" not in yaml.safe_dump(pg)
    assert pg["secrets"] == ["postgres-password"]
    assert SINGLE["secrets"]["postgres-password"] == {"environment": "POSTGRES_PASSWORD"}
    assert pg["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert any(v.startswith("pg-data:/var/lib/postgresql/data") for v in pg["volumes"])
    for name in SERVICES:
        url = SINGLE["services"]["migrate"]["environment"][f"{name.upper()}_DATABASE_URL"]
        assert url.startswith("postgresql+asyncpg://postgres:${POSTGRES_PASSWORD") and url.endswith(f"@postgres/{name}")
        assert f"CREATE DATABASE {name};" in (ROOT / "deploy" / "postgres" / "init.sql").read_text()


def test_what_the_services_write_is_on_volumes():
    services = SINGLE["services"]
    assert "archive-data:/data" in services["archive"]["volumes"]  # the units' documents
    assert "staff-data:/data" in services["staff"]["volumes"]  # the signing key
    assert "console-data:/data" in services["console"]["volumes"]  # the session key
    for svc in services.values():
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0]
            assert source.startswith("./") or source in SINGLE["volumes"], volume


def test_every_service_is_built_from_the_one_dockerfile_and_runs_its_module():
    for name in SERVICES:
        svc = SINGLE["services"][name]
        assert svc["build"] == {"context": ".", "dockerfile": "deploy/Dockerfile"}
        assert svc["command"] == ["python", "-m", f"services.{name}"]
        assert svc["restart"] == "unless-stopped"


def test_the_cluster_streams_have_three_replicas_on_every_node():
    for name in (*SERVICES, "backup"):
        env = CLUSTER["services"][name]["environment"]
        assert env["PLAZADESK_STREAM_REPLICAS"] == "3"
        assert env["PLAZADESK_NATS_URL"] == "nats://nats:4222,nats://nats-2:4222,nats://nats-3:4222"
    for node in ("nats", "nats-2", "nats-3"):
        env = CLUSTER["services"][node]["environment"]
        routes = [env[f"NATS_ROUTE_{i}"] for i in (1, 2, 3)]
        assert all(r.startswith("nats-route://route:${NATS_ROUTE_PASSWORD") for r in routes)
        assert [r.rsplit("@", 1)[1] for r in routes] == ["nats:6222", "nats-2:6222", "nats-3:6222"]
