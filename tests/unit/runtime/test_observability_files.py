"""deploy/observability: the alert rules load in Prometheus' own checker, and every metric
the rules and the Grafana dashboard ask for is one the services export (a renamed metric
would leave a panel empty and an alert silent)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

import services.dispatch.work_orders.export  # noqa: F401  (registers dispatch's own gauge)
from libs.runtime import metrics  # noqa: F401  (registers the runtime's metrics)
from prometheus_client import REGISTRY

HERE = Path(__file__).resolve().parents[3] / "deploy" / "observability"
METRIC = re.compile(r"\b(plazadesk_[a-z_]+)")


def exported() -> set[str]:
    names = set()
    for family in REGISTRY.collect():
        names.add(family.name)
        names.update(s.name for s in family.samples)
        if family.type == "histogram":
            names.update(f"{family.name}_{suffix}" for suffix in ("bucket", "count", "sum"))
        if family.type == "counter":
            names.add(f"{family.name}_total")
    return names


def expressions() -> list[tuple[str, str]]:
    rules = yaml.safe_load((HERE / "alerts.yml").read_text())
    found = [(r["alert"], r["expr"]) for g in rules["groups"] for r in g["rules"]]
    dashboard = json.loads((HERE / "grafana-dashboard.json").read_text())
    found += [(p["title"], t["expr"]) for p in dashboard["panels"] for t in p["targets"]]
    return found


@pytest.mark.parametrize("where,expr", expressions(), ids=lambda v: v if len(v) < 60 else None)
def test_every_metric_asked_for_is_exported(where, expr):
    asked = set(METRIC.findall(expr))
    assert asked or expr.startswith("up{"), f"{where}: no PlazaDesk metric in {expr!r}"  # up: Prometheus' own
    assert asked <= exported(), f"{where} asks for {sorted(asked - exported())}, which no service exports"


def test_the_alert_rules_pass_promtool():
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool (Debian's prometheus package) is not installed")
    out = subprocess.run([promtool, "check", "rules", str(HERE / "alerts.yml")], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
