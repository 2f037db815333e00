"""Typed settings from environment variables, failing fast on anything malformed.

Each service declares a msgspec Struct; ``load(cls, prefix)`` fills it from
``<PREFIX>_<FIELD>`` first, then ``PLAZADESK_<FIELD>`` (shared values such as the NATS
URL), then the field's default. A value that does not convert is an error at start-up,
naming the variable.
"""

from __future__ import annotations

import os
from typing import TypeVar

import msgspec

T = TypeVar("T", bound=msgspec.Struct)


class SettingsError(RuntimeError):
    pass


def load(cls: type[T], prefix: str, environ: dict[str, str] | None = None) -> T:
    env = os.environ if environ is None else environ
    raw: dict[str, str] = {}
    for name in cls.__struct_fields__:
        for key in (f"{prefix}_{name}".upper(), f"PLAZADESK_{name}".upper()):
            if key in env:
                raw[name] = env[key]
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
    nats_url: str = "nats://127.0.0.1:4222"
    data_dir: str = "data"
    database_url: str = ""
    # On PostgreSQL every service keeps its tables in its own schema (default: its name),
    # so several services can share one database without sharing a table.
    database_schema: str = ""
    log_level: str = "info"
    log_json: bool | None = None
    max_deliver: int = 5
    ack_wait_s: float = 5.0
    consumer_batch: int = 200
    # How long a consumer waits for more events when less than a batch is pending: fewer,
    # larger transactions under a trickle, for at most this much more latency. A batch
    # costs 1.5-2 ms whatever its size (transaction, fsync, acks, the relay's round), an
    # event 0.1-0.2 ms. Measured on 2 cores (docs/performance.md): 20 ms against 5 took a third
    # of the consumers' CPU per request off at low load; 40 ms against 20, in one make bench
    # each, back to back: CPU per request at concurrency 32 2.52 -> 1.88 ms (intake 700 ->
    # 891 req/s), per close at 500/s 2.95 -> 2.46 ms, end-to-end p99 141 -> 106 ms. 100 ms
    # against 40 at intake concurrency 8, four runs each alternating: 1.55-1.66 against
    # 1.80-1.97 CPU ms per request, 845-923 against 754-837 req/s. A lone event's effect
    # shows up to 100 ms after it was stored (its age counts); what follows a closed work
    # order is prompt (below).
    consumer_linger_s: float = 0.1
    # The same for prompt events (what follows a closed work order: charge, return visit,
    # timeline entry; see Consumers.subscribe). One make bench each (docs/performance.md):
    # end-to-end p99 at 500 closes/s 55 ms with 40 ms everywhere, 21 ms with 10 ms
    # everywhere, 25-29 ms with 10 ms for prompt events only; 10 ms everywhere took intake
    # at concurrency 8 from 1196 to 881 requests/s, prompt events only 1025-1069.
    consumer_prompt_linger_s: float = 0.01
    # How long a consumer waits for archive's facts about an event's plaza or unit (they
    # come on archive's stream and may be a moment behind) before it dead-letters the
    # event as one about a plaza or unit that does not exist (see Consumers).
    consumer_fact_wait_s: float = 30.0
    relay_batch: int = 500
    relay_poll_s: float = 1.0
    # How long the outbox relay, woken by a commit, waits for the next commits before it
    # publishes: 0, at once, where a service's events start a prompt path (dispatch's
    # closed work orders). Billing and survey wait 0.1 s (their settings): at 500 closes/s
    # a round of about 50 events goes to nats-server as one atomic batch, where each single
    # publish is one fsync of its own. Alternating runs on one system (docs/performance.md):
    # CPU per close 3.06 against 3.34 ms, nats-server's 0.86 against 1.02, end-to-end p99
    # 54.6 against 92.3 ms (nine runs each).
    relay_linger_s: float = 0.0
    # The loop watch logs every time the event loop was blocked at least this long
    # (event_loop_stalled) and every collection a quarter of it (gc_pause).
    loop_stall_report_ms: float = 100.0
    # 3 on a three-node NATS cluster (deploy/nats/cluster.conf): every stream replicated.
    stream_replicas: int = 1
    # /health fails (a liveness probe restarts the process) once the service has been
    # unable to publish this long: its relay failing every round with events waiting, or
    # its NATS connection closed for good and not re-established.
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
