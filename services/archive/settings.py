from __future__ import annotations

from libs.runtime.settings import ServiceSettings, load


class Settings(ServiceSettings, kw_only=True):
    service: str = "archive"
    http_port: int = 8005


def from_env() -> Settings:
    return load(Settings, "archive")
