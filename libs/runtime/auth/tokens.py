"""Bearer tokens verified in the service itself: signature by a key of the issuer's JWKS,
issuer, expiry, and the audience when one is set. No call per request: the keys are read
once (a JWKS file, or the issuer's JWKS URL through PyJWT's PyJWKClient and its cache); a
token signed by a key not seen yet makes one fresh read (a rotated key), at most every
``cooldown_s``."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import jwt

from libs.runtime.auth.principal import ClaimNames, Principal, from_claims

ALGORITHMS = ["EdDSA", "RS256", "ES256"]


class InvalidToken(Exception):
    """The token is not accepted; the message says why (never the token itself)."""


class KeysUnavailable(InvalidToken):
    """The issuer's keys could not be read (its JWKS URL down, the file missing): not the
    caller's fault, so answered 503, not 401."""


class Keys:
    """The issuer's public keys by ``kid``, from a JWKS file or URL."""

    def __init__(self, *, jwks_file: str = "", jwks_url: str = "", cooldown_s: float = 30.0,
                 lifespan_s: float = 300.0, own: dict | None = None) -> None:
        # ``own``: a JWKS the process itself holds (the staff service's own keys), trusted
        # first and never re-read; the file or URL then only adds keys.
        if not jwks_file and not jwks_url and not own:
            raise ValueError("tokens need keys: set AUTH_JWKS_FILE or AUTH_JWKS_URL")
        self._own = {k.key_id or "": k for k in jwt.PyJWKSet.from_dict(own).keys} if own else {}
        self.jwks_file = jwks_file
        self.cooldown_s = cooldown_s
        self.lifespan_s = lifespan_s
        self._client = None if jwks_file or not jwks_url else jwt.PyJWKClient(
            jwks_url, cache_keys=False, lifespan=lifespan_s, timeout=5, cooldown_duration=cooldown_s)
        self._keys: dict[str, jwt.PyJWK] = {}
        self._read_at = float("-inf")

    async def key(self, kid: str | None) -> jwt.PyJWK:
        if (kid or "") in self._own:
            return self._own[kid or ""]
        if not self.jwks_file and self._client is None:
            raise InvalidToken(f"the token's key {kid!r} is not one of the issuer's keys")
        now = time.monotonic()
        found = self._keys.get(kid or "")
        # A key is trusted only as long as the set was read recently; past that the set is
        # read again (a removed key stops being accepted), and an unknown kid reads it now.
        stale = now - self._read_at > self.lifespan_s
        if found is not None and not stale:
            return found
        if found is None and not stale and now - self._read_at < self.cooldown_s:
            raise InvalidToken(f"the token's key {kid!r} is not one of the issuer's keys")
        await self._read()
        found = self._keys.get(kid or "")
        if found is None:
            raise InvalidToken(f"the token's key {kid!r} is not one of the issuer's keys")
        return found

    async def _read(self) -> None:
        try:
            keys = await asyncio.to_thread(self._fetch)
        except Exception as exc:
            raise KeysUnavailable(f"the token issuer's keys could not be read ({exc.__class__.__name__}); "
                                  "try again shortly") from None
        self._keys = {k.key_id or "": k for k in keys}
        self._read_at = time.monotonic()

    def _fetch(self) -> list[jwt.PyJWK]:
        if self.jwks_file:
            data = json.loads(Path(self.jwks_file).read_text())
            return list(jwt.PyJWKSet.from_dict(data).keys)
        return self._client.get_signing_keys(refresh=True)


# A client sends the same token with every request for its lifetime; checking its
# signature each time doubled intake's CPU per request (docs/performance.md). A verified
# token is remembered until its expiry, and at most as long as the keys are trusted
# without a re-read, so a key withdrawn from the JWKS stops its tokens as before.
REMEMBERED_MAX = 10_000


class Verifier:
    def __init__(self, keys: Keys, *, issuer: str, audience: str = "", claims: ClaimNames = ClaimNames(),
                 leeway_s: float = 10.0) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience or None
        self.claims = claims
        self.leeway_s = leeway_s
        self._verified: dict[str, tuple[Principal, float, float]] = {}  # token → (who, exp, until)

    async def principal(self, token: str) -> Principal:
        known = self._verified.get(token)
        if known is not None:
            who, exp, until = known
            if time.time() < exp + self.leeway_s and time.monotonic() < until:
                return who
            del self._verified[token]
        who, exp = await self._verify(token)
        if len(self._verified) >= REMEMBERED_MAX:
            self._verified.clear()  # a flood of distinct tokens: start over rather than grow
        self._verified[token] = (who, exp, time.monotonic() + self.keys.lifespan_s)
        return who

    async def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidToken("the bearer token is not a JWT") from None
        if header.get("alg") not in ALGORITHMS:
            raise InvalidToken(f"tokens are signed with {', '.join(ALGORITHMS)}, not {header.get('alg')!r}")
        key = await self.keys.key(header.get("kid"))
        try:
            claims = jwt.decode(
                token, key, algorithms=ALGORITHMS, issuer=self.issuer, audience=self.audience,
                leeway=self.leeway_s,
                options={"require": ["exp", "iss", "sub"], "verify_aud": self.audience is not None},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired") from None
        except jwt.InvalidIssuerError:
            raise InvalidToken(f"the token was not issued by {self.issuer!r}") from None
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidToken(f"the token has no {exc.claim!r} claim") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken(f"the token is not meant for {self.audience!r}") from None
        except jwt.InvalidSignatureError:
            raise InvalidToken("the token's signature does not verify") from None
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"the token is not valid: {exc}") from None
        return from_claims(claims, self.claims), float(claims["exp"])


def verifier_for(settings, own_jwks: dict | None = None) -> Verifier:
    """The verifier a service's settings describe (ServiceSettings' ``auth_*`` fields);
    ``own_jwks``: keys the service itself signs with (staff), trusted without a fetch."""
    keys = Keys(jwks_file=settings.auth_jwks_file, jwks_url="" if own_jwks else settings.auth_jwks_url, own=own_jwks)
    names = ClaimNames(roles=settings.auth_roles_claim, plazas=settings.auth_plazas_claim,
                       department=settings.auth_department_claim, name=settings.auth_name_claim,
                       unit=settings.auth_unit_claim)
    return Verifier(keys, issuer=settings.auth_issuer, audience=settings.auth_audience, claims=names)
