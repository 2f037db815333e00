"""The Kubernetes install, rendered by Helm's own template engine (helm-python-sdk) from
the official NATS chart with deploy/k8s/nats-values.yaml and from the PlazaDesk chart,
then validated against the Kubernetes API's schemas (kubernetes-validate, strict) and
checkov's policies (no finding beyond deploy/policy-exceptions.yaml), and read for what
the operator relies on: pinned image parameters, Secrets that exist in the example files,
probes, resources, autoscaling for intake, disruption budgets, a locked-down pod, the
migration hook, the backup CronJob, three stream replicas, and a NATS configuration that
nats-server itself accepts."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml
from kubernetes_validate import utils as kv

from scripts import natsconf, system
from scripts.natsserver import binary
from tests.deploy import tools

SERVICES = tuple(system.SERVICES)  # every service the product runs


@pytest.fixture(scope="module")
def plazadesk() -> list[dict]:
    return tools.render_plazadesk()


@pytest.fixture(scope="module")
def nats() -> list[dict]:
    return tools.render_nats()


def by_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def pod_specs(docs: list[dict]) -> dict[str, dict]:
    specs = {}
    for d in docs:
        if d["kind"] in ("Deployment", "StatefulSet", "Job"):
            specs[f"{d['kind']}/{d['metadata']['name']}"] = d["spec"]["template"]["spec"]
        elif d["kind"] == "CronJob":
            specs[f"CronJob/{d['metadata']['name']}"] = d["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return specs


def test_every_object_is_valid_for_the_kubernetes_api(plazadesk, nats):
    for doc in (*plazadesk, *nats):
        kv.validate(doc, tools.KUBERNETES_VERSION, strict=True)


def test_the_validator_refuses_what_the_api_would():
    broken = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
              "spec": {"replicas": "two", "selector": {}, "template": {}}}
    with pytest.raises(kv.ValidationError):
        kv.validate(broken, tools.KUBERNETES_VERSION, strict=True)


def test_helm_lint_passes_the_plazadesk_chart():
    import helm_python as helm

    report = helm.lint(tools.K8S / "plazadesk", {"image": tools.IMAGE}, strict=True, namespace=tools.NAMESPACE)
    assert report["errors"] == [], report
    assert [m for m in report["messages"] if m["severity"] > 1] == [], report


def test_the_image_is_a_parameter_and_required(plazadesk):
    for name, spec in pod_specs(plazadesk).items():
        for container in spec["containers"]:
            assert container["image"] == f"{tools.IMAGE['repository']}@{tools.IMAGE['digest']}", name
    tagged = tools.render_plazadesk({"image": {"repository": "registry.example.com/plazadesk", "tag": "1.2.3"}})
    assert {c["image"] for s in pod_specs(tagged).values() for c in s["containers"]} == {"registry.example.com/plazadesk:1.2.3"}
    import helm_python as helm

    with helm.Chart.load(tools.K8S / "plazadesk") as chart, pytest.raises(Exception, match="image.repository"):
        chart.render({}, name="plazadesk", namespace=tools.NAMESPACE)


def test_each_service_runs_its_module_with_probes_and_resources(plazadesk):
    deployments = by_kind(plazadesk, "Deployment")
    assert set(deployments) == set(SERVICES)
    services = by_kind(plazadesk, "Service")
    for name, d in deployments.items():
        [c] = d["spec"]["template"]["spec"]["containers"]
        assert c["command"] == ["python", "-m", f"services.{name}"]
        assert c["livenessProbe"]["httpGet"]["path"] == "/health"
        assert c["readinessProbe"]["httpGet"]["path"] == "/ready"
        assert c["startupProbe"]["httpGet"]["path"] == "/health"
        for part in ("requests", "limits"):
            assert set(c["resources"][part]) == {"cpu", "memory"}, name
        assert services[name]["spec"]["ports"][0]["port"] == 80  # http://<service> as the console calls it
    [console] = deployments["console"]["spec"]["template"]["spec"]["containers"]
    urls = {e["name"]: e.get("value") for e in console["env"]}
    assert {f"PLAZADESK_{s.upper()}_URL": f"http://{s}" for s in SERVICES if s != "console"}.items() <= urls.items()


def test_every_pod_is_locked_down(plazadesk, nats):
    for name, spec in {**pod_specs(plazadesk), **pod_specs(nats)}.items():
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] >= 10000, name
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert spec["automountServiceAccountToken"] is False, name
        mounts_needed = name.startswith(("Deployment", "Job", "CronJob"))
        for c in spec["containers"]:
            sc = c["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False, name
            assert sc["capabilities"]["drop"] == ["ALL"], name
            if mounts_needed:  # what a PlazaDesk process writes: /tmp and its DATA_DIR
                assert {m["mountPath"] for m in c["volumeMounts"]} >= {"/tmp", "/data"}, name
                assert c["securityContext"] == yaml.safe_load(
                    (tools.K8S / "plazadesk" / "values.yaml").read_text())["securityContext"]
        for volume in spec.get("volumes", []):
            if "secret" in volume:  # root's files: the service reads them through its group
                assert volume["secret"]["defaultMode"] & 0o040 and pod["fsGroup"] == pod["runAsGroup"], name
    archive = by_kind(plazadesk, "Deployment")["archive"]["spec"]
    assert archive["strategy"] == {"type": "Recreate"}
    data = {v["name"]: v for v in archive["template"]["spec"]["volumes"]}["data"]
    assert data["persistentVolumeClaim"]["claimName"] in by_kind(plazadesk, "PersistentVolumeClaim")


def test_intake_scales_with_its_load_and_each_service_has_a_disruption_budget(plazadesk):
    hpas = by_kind(plazadesk, "HorizontalPodAutoscaler")
    assert set(hpas) == {"intake"}
    hpa = hpas["intake"]["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "intake"}
    assert hpa["minReplicas"] >= 2 and hpa["maxReplicas"] > hpa["minReplicas"]
    assert "replicas" not in by_kind(plazadesk, "Deployment")["intake"]["spec"], "the HPA owns intake's count"
    pdbs = by_kind(plazadesk, "PodDisruptionBudget")
    assert set(pdbs) == set(SERVICES)
    for name, pdb in pdbs.items():
        labels = by_kind(plazadesk, "Deployment")[name]["spec"]["template"]["metadata"]["labels"]
        assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    [nats_pdb] = by_kind(tools.render_nats(), "PodDisruptionBudget").values()
    assert nats_pdb["spec"]["maxUnavailable"] == 1


def test_the_migration_runs_before_every_install_and_upgrade(plazadesk):
    job = by_kind(plazadesk, "Job")["plazadesk-migrate"]
    assert set(job["metadata"]["annotations"]["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    [c] = job["spec"]["template"]["spec"]["containers"]
    assert c["command"] == ["python", "-m", "scripts.migrate"]
    env = {e["name"]: e.get("value") for e in c["env"]}
    files = tools.secret_files(job["spec"]["template"]["spec"], c)
    for service in SERVICES:
        assert files[env[f"{service.upper()}_DATABASE_URL_FILE"]] == ("plazadesk-db", service)


def test_the_backup_runs_on_a_schedule_onto_its_own_volume(plazadesk):
    cron = by_kind(plazadesk, "CronJob")["plazadesk-backup"]
    assert cron["spec"]["schedule"] and cron["spec"]["concurrencyPolicy"] == "Forbid"
    spec = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    [c] = spec["containers"]
    assert c["command"][:6] == ["python", "-m", "scripts.backup", "create", "--to", "/backups"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    claim = volumes["backups"]["persistentVolumeClaim"]["claimName"]
    assert claim in by_kind(plazadesk, "PersistentVolumeClaim")
    env = {e["name"]: e.get("value") for e in c["env"]}
    files = tools.secret_files(spec, c)
    for service in SERVICES:
        assert files[env[f"{service.upper()}_DATABASE_URL_FILE"]] == ("plazadesk-db", service)
    assert files[env["OPERATOR_NATS_PASSWORD_FILE"]] == ("plazadesk-nats", "OPERATOR_NATS_PASSWORD")
    assert "PLAZADESK_NATS_URL" in env


def test_streams_are_declared_with_three_replicas_on_the_three_node_cluster(plazadesk, nats):
    for name, spec in pod_specs(plazadesk).items():
        env = {e["name"]: e.get("value") for e in spec["containers"][0]["env"]}
        assert env["PLAZADESK_STREAM_REPLICAS"] == "3", name
        assert env["PLAZADESK_NATS_URL"] == "nats://nats:4222", name
    [sts] = by_kind(nats, "StatefulSet").values()
    assert sts["spec"]["replicas"] == 3
    [claim] = sts["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert "nats" in by_kind(nats, "Service")  # the client Service the services connect to
    # The setting the services read (libs/runtime/settings.py) and use for every stream.
    settings = (tools.ROOT / "libs" / "runtime" / "settings.py").read_text()
    assert "stream_replicas: int = 1" in settings
    assert "self.settings.stream_replicas" in (tools.ROOT / "libs" / "runtime" / "service.py").read_text()


def secret_refs(docs: list[dict]) -> set[tuple[str, str]]:
    """Every (Secret, key) a pod reads, from env, envFrom and volumes."""
    refs: set[tuple[str, str]] = set()
    for spec in pod_specs(docs).values():
        for c in spec["containers"]:
            for e in c.get("env", []):
                ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    refs.add((ref["name"], ref["key"]))
            for e in c.get("envFrom", []):
                if "secretRef" in e:
                    refs.add((e["secretRef"]["name"], "*"))
        for v in spec.get("volumes", []):
            if "secret" in v:
                for item in v["secret"].get("items") or [{"key": "*"}]:
                    refs.add((v["secret"]["secretName"], item["key"]))
            for source in (v.get("projected") or {}).get("sources", []):
                if "secret" in source:
                    for item in source["secret"].get("items") or [{"key": "*"}]:
                        refs.add((source["secret"]["name"], item["key"]))
    return refs


def test_every_secret_reaches_the_services_as_a_file_never_as_a_variable(plazadesk):
    """A password or a database URL in a variable shows in /proc/<pid>/environ, in crash
    reports and in `kubectl describe`; as a file of a projected Secret it does not."""
    for name, spec in pod_specs(plazadesk).items():
        [c] = spec["containers"]
        assert not [e for e in c["env"] if "valueFrom" in e], name
        assert not c.get("envFrom"), name
        files = tools.secret_files(spec, c)
        for e in c["env"]:
            if e["name"].endswith("_FILE") and e["value"].startswith("/run/secrets/"):
                assert e["value"] in files, f"{name}: {e['name']} names {e['value']}, which no Secret fills"
    deployments = by_kind(plazadesk, "Deployment")
    for name, d in deployments.items():
        spec = d["spec"]["template"]["spec"]
        [c] = spec["containers"]
        env = {e["name"]: e.get("value") for e in c["env"]}
        files = tools.secret_files(spec, c)
        upper = name.upper()
        assert files[env[f"{upper}_DATABASE_URL_FILE"]] == ("plazadesk-db", name)
        assert files[env[f"{upper}_NATS_PASSWORD_FILE"]] == ("plazadesk-nats", f"{upper}_NATS_PASSWORD")
    for name in ("survey", "notices"):
        spec = deployments[name]["spec"]["template"]["spec"]
        [c] = spec["containers"]
        env = {e["name"]: e.get("value") for e in c["env"]}
        assert tools.secret_files(spec, c)[env[f"{name.upper()}_LINK_SECRET_FILE"]] == (f"plazadesk-{name}", "link-secret")


def test_every_secret_and_key_referred_to_is_in_the_example_files(plazadesk, nats):
    examples: dict[str, set[str]] = {}
    for path in ("secrets.example.yaml", "nats-secret.example.yaml"):
        for doc in yaml.safe_load_all((tools.K8S / path).read_text()):
            assert doc["kind"] == "Secret"
            examples[doc["metadata"]["name"]] = set(doc["stringData"])
    for name, key in secret_refs(plazadesk) | secret_refs(nats):
        assert name in examples, f"Secret {name} is not in the example files"
        assert key == "*" or key in examples[name], f"{name} has no key {key} in the example files"
    assert examples["plazadesk-nats"] >= {natsconf.env_name(n) for n in natsconf.user_names()} | {"NATS_ROUTE_PASSWORD"}


def test_nats_server_accepts_the_rendered_configuration(nats, tmp_path):
    """The chart's nats.conf and the users file, with every variable the Secret and the pod
    give, parsed by nats-server itself (-t: check the configuration and exit)."""
    [config] = by_kind(nats, "ConfigMap").values()
    for name, text in config["data"].items():
        (tmp_path / name).write_text(text.replace("/data", str(tmp_path / "js")).replace("/var/run/nats", str(tmp_path)))
    env = {natsconf.env_name(n): f"pw-{n}" for n in natsconf.user_names()}
    env |= {"NATS_ROUTE_PASSWORD": "route-pw", "SERVER_NAME": "nats-0",
            **{f"NATS_ROUTE_{i}": f"nats-route://route:route-pw@nats-{i}.nats-headless:6222" for i in range(3)}}
    proc = subprocess.run([binary(), "-t", "-c", str(tmp_path / "nats.conf")], env={**env, "PATH": os.environ["PATH"]},
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The users and their permissions are the generated ones; routes carry the password.
    assert config["data"]["users.conf"] == (tools.ROOT / "deploy" / "nats" / "users.conf").read_text()
    assert "include users.conf" in config["data"]["nats.conf"]
    assert '"password": $NATS_ROUTE_PASSWORD' in config["data"]["nats.conf"]
    assert '"sync_interval": "always"' in config["data"]["nats.conf"]
    [sts] = by_kind(nats, "StatefulSet").values()
    [server] = [c for c in sts["spec"]["template"]["spec"]["containers"] if c["name"] == "nats"]
    assert server["envFrom"] == [{"secretRef": {"name": "plazadesk-nats"}}]
    assert server["resources"]["limits"] and server["resources"]["requests"]


def test_checkov_finds_nothing_beyond_the_documented_exceptions(plazadesk, nats, tmp_path):
    for name, docs in (("plazadesk", plazadesk), ("nats", nats)):
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump_all(docs))
    failed = {(f["check_id"], f["resource"]) for f in tools.run_checkov(["--framework", "kubernetes", "--directory", str(tmp_path)])}
    allowed = {(e["id"], r) for e in tools.exceptions()["checkov"] for r in e["resources"]}
    for e in tools.exceptions()["checkov"]:
        assert e["reason"].strip(), e["id"]
    assert failed - allowed == set(), "fix these, or document why not in deploy/policy-exceptions.yaml"
    assert allowed - failed == set(), "these exceptions no longer match a finding: remove them"


def test_no_password_or_key_is_in_the_kubernetes_files():
    for path in Path(tools.K8S).rglob("*.yaml"):
        text = path.read_text()
        assert "BEGIN PRIVATE KEY-----\n" not in text, path
        for doc in yaml.safe_load_all(text) if path.name.endswith("example.yaml") else []:
            assert all(v.startswith("<") or "<password>" in v for v in doc["stringData"].values()), path
