from __future__ import annotations

import os

from libs.runtime import links
from libs.runtime.settings import ServiceSettings, SettingsError, load

# Where a deployment without NOTICES_LINK_SECRET keeps the secret generated on first start.
LINK_SECRET_FILE = "notices-link-secret"


class Settings(ServiceSettings, kw_only=True):
    service: str = "notices"
    http_port: int = 8007
    relay_linger_s: float = 0.1
    # Signs each recipient's read link (HMAC-SHA256): NOTICES_LINK_SECRET. Unset, one is
    # generated into DATA_DIR/notices-link-secret on first start; in production it must be
    # set (replicas share it).
    link_secret: str = ""
    env: str = "development"
    # Requests a minute each client address may make to the read-link routes.
    link_rate_per_minute: int = 30
    # The provider adapter of each channel: "sms=record,wechat=record,email=record". The
    # recording adapter sends nothing and keeps what it would have sent.
    channels: str = "sms=record,wechat=record,email=record"
    # Where occupants open their read links: the console's phone page /n/{plaza}/{token}
    # (NOTICES_CONSOLE_URL, else PLAZADESK_CONSOLE_URL: the address occupants reach it by).
    console_url: str = "http://127.0.0.1:8000"
    # How often the queued SMS/WeChat/e-mail messages are sent (and failed ones retried).
    send_every_s: float = 5.0
    # How long a message the provider refused waits before its next attempt (doubling each
    # time; five attempts in all).
    retry_after_s: float = 30.0

    def __post_init__(self) -> None:
        super().__post_init__()
        links.check_settings("notices", self.link_secret, self.env, self.link_rate_per_minute, "the read links")
        if self.send_every_s <= 0:
            raise SettingsError("SEND_EVERY_S must be above 0")


def from_env(environ: dict[str, str] | None = None) -> Settings:
    return load(Settings, "notices", dict(os.environ if environ is None else environ))


def link_secret_of(settings: Settings) -> str:
    """The configured secret, else the one kept in the data directory (made on first start)."""
    return settings.link_secret or links.kept_secret(settings.data_dir, LINK_SECRET_FILE)
