"""Typed settings from environment variables, failing fast on anything malformed.

Each service declares a msgspec Struct; ``load(cls, prefix)`` fills it from
``<PREFIX>_<FIELD>`` first, then ``PLAZADESK_<FIELD>`` (shared values such as the NATS
URL), then the field's default; each of those may instead name a file holding the value
(``<PREFIX>_<FIELD>_FILE``: a password or a database URL from a mounted Secret). A value that does not convert is an error at start-up,
naming the variable.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TypeVar

import msgspec

T = TypeVar("T", bound=msgspec.Struct)


class SettingsError(RuntimeError):
    pass


def value_of(env, key: str) -> str | None:
    """``KEY``'s value, else what the file ``KEY_FILE`` names holds (a mounted Secret: the
    way Kubernetes and Docker keep a password out of the process's environment), without
    its trailing line break; None when neither is set."""
    if key in env:
        return env[key]
    path = env.get(f"{key}_FILE")
    if not path:
        return None
    try:
        return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        raise SettingsError(f"{key}_FILE names {path}, which cannot be read ({exc.strerror})") from None


def load(cls: type[T], prefix: str, environ: dict[str, str] | None = None) -> T:
    env = os.environ if environ is None else environ
    raw: dict[str, str] = {}
    for name in cls.__struct_fields__:
        for key in (f"{prefix}_{name}".upper(), f"PLAZADESK_{name}".upper()):
            value = value_of(env, key)
            if value is not None:
                raw[name] = value
                break
    try:
        return msgspec.convert(raw, cls, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(f"bad {prefix.upper()} setting: {exc}") from exc


def nats_servers(url: str) -> list[str]:
    """``nats://a:4222,nats://b:4222`` (a cluster, as the deploy files write it) as one URL
    per server: the clients take a list, and a comma-separated string is not a URL."""
    return [part.strip() for part in url.split(",") if part.strip()]


class ServiceSettings(msgspec.Struct, kw_only=True):
    """What every service needs; a service subclasses it with its own fields."""

    service: str
    http_host: str = "127.0.0.1"
    http_port: int
    # Several replicas of the service on one port (SO_REUSEPORT, Linux): the kernel spreads
    # the connections over them, no proxy in front (docs/operations.md#replicas-on-one-machine).
    http_reuse_port: bool = False
    nats_url: str = "nats://127.0.0.1:4222"
    # The service's own NATS user (deploy/nats, scripts/natsconf.py): it may publish only
    # its own subjects and use only its own streams and consumers. Empty: the credentials
    # in the URL, if any (the test suite's accounts).
    nats_user: str = ""
    nats_password: str = ""
    # Traces (libs/runtime/tracing.py): an OTLP/HTTP collector's address, e.g.
    # http://otel-collector:4318; empty: no traces.
    otlp_endpoint: str = ""
    data_dir: str = "data"
    database_url: str = ""
    # Each service in its own PostgreSQL schema: one database, no shared table (docs/operations.md#settings).
    database_schema: str = ""
    log_level: str = "info"
    log_json: bool | None = None
    max_deliver: int = 5
    ack_wait_s: float = 5.0
    consumer_batch: int = 200
    # Fewer, larger transactions under a trickle for at most 100 ms more latency (docs/performance.md#the-evidence-behind-the-defaults).
    consumer_linger_s: float = 0.1
    # What follows a closed work order (charge, visit, timeline) waits only 10 ms (docs/performance.md#the-evidence-behind-the-defaults).
    consumer_prompt_linger_s: float = 0.01
    # Archive's facts about a plaza or unit may be a moment behind; then dead-letter (docs/operations.md#dead-letters).
    consumer_fact_wait_s: float = 30.0
    relay_batch: int = 500
    relay_poll_s: float = 1.0
    # Wait for more commits before publishing: one atomic batch instead of many fsyncs (docs/performance.md#the-evidence-behind-the-defaults).
    relay_linger_s: float = 0.0
    # Log a blocked event loop (event_loop_stalled) and long GC pauses (docs/architecture.md#logs-and-metrics).
    loop_stall_report_ms: float = 100.0
    # 3 on a three-node NATS cluster (deploy/nats/cluster.conf): every stream replicated.
    stream_replicas: int = 1
    # /health fails after this long unable to publish, so a liveness probe restarts it (docs/operations.md#health-metrics-logs).
    health_grace_s: float = 60.0
    # Bearer tokens (docs/access.md): verified with the issuer's public keys, read from a
    # JWKS file when one is named (tests, a key pair of one's own), else from the URL (the
    # staff service, or an OIDC provider's certs endpoint), kept and re-read on a new key.
    auth_jwks_url: str = "http://127.0.0.1:8006/.well-known/jwks.json"
    auth_jwks_file: str = ""
    auth_issuer: str = "plazadesk-staff"
    auth_audience: str = ""  # empty: the audience is not checked
    # Where the claims are (dotted paths): Keycloak's realm roles are realm_access.roles.
    auth_roles_claim: str = "roles"
    auth_plazas_claim: str = "plazas"
    auth_department_claim: str = "department"
    auth_name_claim: str = "name"
    auth_unit_claim: str = "unit"  # an occupant's unit (their token sees that unit only)

    def __post_init__(self) -> None:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir}/{self.service}.db"
        if not self.database_schema:
            self.database_schema = self.service
        for url in nats_servers(self.nats_url) or [self.nats_url]:
            if not url.startswith(("nats://", "tls://", "ws://", "wss://")):
                raise SettingsError(f"NATS_URL {url!r} is not a nats:// URL")
        if not self.auth_jwks_file and not self.auth_jwks_url:
            raise SettingsError("AUTH_JWKS_FILE or AUTH_JWKS_URL must name the token issuer's keys")
        if not self.auth_issuer:
            raise SettingsError("AUTH_ISSUER must name the token issuer")
        if self.max_deliver < 1:
            raise SettingsError("MAX_DELIVER must be at least 1")
