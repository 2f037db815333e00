from __future__ import annotations

import os

from libs.runtime.settings import ServiceSettings, SettingsError, load

UPSTREAMS = ("intake", "dispatch", "billing", "survey", "archive", "staff", "notices")


class Settings(ServiceSettings, kw_only=True):
    service: str = "console"
    http_port: int = 8000
    # The services the console calls with the signed-in person's token (their public APIs).
    intake_url: str = "http://127.0.0.1:8001"
    dispatch_url: str = "http://127.0.0.1:8002"
    billing_url: str = "http://127.0.0.1:8003"
    survey_url: str = "http://127.0.0.1:8004"
    archive_url: str = "http://127.0.0.1:8005"
    staff_url: str = "http://127.0.0.1:8006"
    notices_url: str = "http://127.0.0.1:8007"
    upstream_timeout_s: float = 10.0
    # The key the session cookie is encrypted with (AES-GCM, 16/24/32 bytes as hex). Empty:
    # generated once into DATA_DIR/console-session-key (0600), so sessions survive a restart.
    # Several console replicas must share one (a mounted Secret).
    session_key_file: str = ""
    # The operations page (dead letters: list, replay, discard), for operators only: its own
    # NATS user (``console-ops`` in scripts/natsconf.py). Empty password: the page says it is
    # not set up.
    ops_nats_user: str = "console-ops"
    ops_nats_password: str = ""
    # Cookies only over HTTPS (behind the site's TLS proxy). Off for the embedded default,
    # which serves plain HTTP on the LAN.
    secure_cookies: bool = False
    session_max_age_s: int = 12 * 3600
    # zh-CN first; a person's choice is kept in the console's own table.
    default_language: str = "zh-CN"

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in UPSTREAMS:
            if not getattr(self, f"{name}_url").startswith(("http://", "https://")):
                raise SettingsError(f"CONSOLE_{name.upper()}_URL must be an http(s) URL")
        if self.default_language not in ("zh-CN", "en"):
            raise SettingsError("CONSOLE_DEFAULT_LANGUAGE must be zh-CN or en")

    def upstream(self, service: str) -> str:
        return getattr(self, f"{service}_url").rstrip("/")


def from_env(environ: dict[str, str] | None = None) -> Settings:
    """``PLAZADESK_<SERVICE>_URL`` (what scripts/system.py and the deploy files set for
    every service) is read as ``CONSOLE_<SERVICE>_URL`` when that is not set."""
    env = dict(os.environ if environ is None else environ)
    for name in UPSTREAMS:
        shared = env.get(f"PLAZADESK_{name.upper()}_URL")
        if shared:
            env.setdefault(f"CONSOLE_{name.upper()}_URL", shared)
    return load(Settings, "console", env)
