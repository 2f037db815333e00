from __future__ import annotations

import os

from libs.runtime.settings import ServiceSettings, SettingsError, load


class Settings(ServiceSettings, kw_only=True):
    service: str = "staff"
    http_port: int = 8006
    # The ``iss`` of every token; services verify it (their AUTH_ISSUER).
    token_issuer: str = "plazadesk-staff"
    access_token_ttl_s: int = 3600
    refresh_token_ttl_s: int = 12 * 3600
    # The Ed25519 private key (PEM) tokens are signed with. Empty: the key in
    # DATA_DIR/staff-signing-key.pem, generated there (0600) on the first start and kept,
    # so tokens stay valid across restarts. Set it (STAFF_SIGNING_KEY_FILE, or
    # PLAZADESK_STAFF_SIGNING_KEY_FILE) in production, a mounted Secret: every replica
    # must sign with the same key.
    signing_key_file: str = ""
    # Public keys (PEM files, comma-separated) still published in the JWKS besides the
    # signing key's: after a key rotation, tokens signed by the old key verify until they
    # expire.
    previous_public_key_files: str = ""
    # The operator account's password on the first start (PLAZADESK_OPERATOR_PASSWORD);
    # empty: generated, printed once and kept in DATA_DIR/operator-password (0600).
    operator_password: str = ""
    # Failed logins allowed before each further one waits (per username and per client
    # address), and the longest wait.
    login_free_failures: int = 5
    login_max_delay_s: int = 900

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.access_token_ttl_s < 60 or self.refresh_token_ttl_s < self.access_token_ttl_s:
            raise SettingsError("ACCESS_TOKEN_TTL_S must be at least 60 and REFRESH_TOKEN_TTL_S at least as long")
        if self.operator_password and len(self.operator_password) < 8:
            raise SettingsError("OPERATOR_PASSWORD must be at least 8 characters")
        if self.login_free_failures < 1:
            raise SettingsError("LOGIN_FREE_FAILURES must be at least 1")


def from_env(environ: dict[str, str] | None = None) -> Settings:
    """``PLAZADESK_STAFF_<NAME>`` is read as ``STAFF_<NAME>`` (which wins when both are set):
    the deploy files name staff's secrets in the project's own namespace."""
    env = dict(os.environ if environ is None else environ)
    for key, value in list(env.items()):
        if key.startswith("PLAZADESK_STAFF_"):
            env.setdefault(key[len("PLAZADESK_"):], value)
    return load(Settings, "staff", env)
