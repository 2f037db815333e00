from __future__ import annotations

from libs.runtime.settings import ServiceSettings, load


class Settings(ServiceSettings, kw_only=True):
    service: str = "billing"
    http_port: int = 8003
    # The relay gathers a round for 0.1 s (see ServiceSettings.relay_linger_s): billing's
    # events (charges, deposits, dunning, payments) feed archive's timeline, which gathers
    # them for 0.1 s anyway, and start no prompt path.
    relay_linger_s: float = 0.1
    # How often the dunning run (催缴) looks for overdue items; it is idempotent.
    dunning_every_s: float = 3600.0


def from_env() -> Settings:
    return load(Settings, "billing")
