from __future__ import annotations

from libs.runtime.settings import ServiceSettings, load


class Settings(ServiceSettings, kw_only=True):
    service: str = "dispatch"
    http_port: int = 8002
    # The reopen count from which a second dispatch also escalates to the manager (0: never).
    reopen_escalate_after: int = 2
    # How often the SLA sweep looks for breached deadlines (the shortest allowance is 15 min).
    sla_sweep_s: float = 30.0
    # Webhooks for department systems (dispatch/webhooks): how often due deliveries are sent,
    # how long an endpoint has to answer, whether plain http:// endpoints are allowed (a LAN
    # without TLS; off by default), and the back-off between attempts in seconds (comma-
    # separated; empty: 10 s, 30 s, 1 min, 5 min, 15 min, 30 min, then hourly, for a day).
    webhook_round_s: float = 1.0
    webhook_timeout_s: float = 10.0
    webhook_allow_http: bool = False
    webhook_backoff_s: str = ""


def from_env() -> Settings:
    return load(Settings, "dispatch")
