from __future__ import annotations

from libs.runtime.settings import ServiceSettings, SettingsError, load


class Settings(ServiceSettings, kw_only=True):
    service: str = "survey"
    http_port: int = 8004
    # How long after a work order closes its return visit falls due (回访时限).
    visit_window_hours: int = 72

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.visit_window_hours < 1:
            raise SettingsError("VISIT_WINDOW_HOURS must be at least 1")


def from_env() -> Settings:
    return load(Settings, "survey")
