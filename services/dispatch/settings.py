from __future__ import annotations

from libs.runtime.settings import ServiceSettings, load


class Settings(ServiceSettings, kw_only=True):
    service: str = "dispatch"
    http_port: int = 8002
    # The reopen count from which a second dispatch also escalates to the manager (0: never).
    reopen_escalate_after: int = 2
    # How often the SLA sweep looks for breached deadlines (the shortest allowance is 15 min).
    sla_sweep_s: float = 30.0


def from_env() -> Settings:
    return load(Settings, "dispatch")
