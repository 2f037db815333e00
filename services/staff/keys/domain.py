"""The keys tokens are signed with: Ed25519 (JWS algorithm EdDSA), each named by its
RFC 7638 thumbprint as ``kid``, so a verifier picks the right public key from the JWKS
(and an old key can stay published while its tokens live out their time)."""

from __future__ import annotations

import base64
import hashlib
import json

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "EdDSA"


class BadToken(Exception):
    """Not a token this service signed, or no longer valid (expired, wrong issuer)."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk(public: Ed25519PublicKey) -> dict:
    x = _b64(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    # RFC 7638: the required members, sorted, no spaces.
    thumbprint = _b64(hashlib.sha256(json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x},
                                                separators=(",", ":"), sort_keys=True).encode()).digest())
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": thumbprint, "use": "sig", "alg": ALGORITHM}


class Keyring:
    """The signing key and every public key still honoured (the signing key's first)."""

    def __init__(self, signing: Ed25519PrivateKey, previous: list[Ed25519PublicKey] | None = None) -> None:
        self.signing = signing
        self.jwks_keys = [public_jwk(k) for k in [signing.public_key(), *(previous or [])]]
        self.kid = self.jwks_keys[0]["kid"]
        self._public = {jwk["kid"]: key for jwk, key in zip(self.jwks_keys, [signing.public_key(), *(previous or [])])}

    def jwks(self) -> dict:
        return {"keys": list(self.jwks_keys)}

    def sign(self, claims: dict) -> str:
        return jwt.encode(claims, self.signing, algorithm=ALGORITHM, headers={"kid": self.kid})

    def verify(self, token: str, *, issuer: str) -> dict:
        """The claims of a token one of these keys signed, unexpired, of this issuer."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._public.get(kid)
            if key is None:
                raise BadToken("the token was not signed by a key of this service")
            return jwt.decode(token, key, algorithms=[ALGORITHM], issuer=issuer,
                              options={"require": ["exp", "iat", "iss", "sub"]})
        except jwt.ExpiredSignatureError:
            raise BadToken("the token has expired") from None
        except jwt.PyJWTError as exc:
            raise BadToken(f"the token is not valid: {exc}") from None


def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def load_private(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the signing key must be an Ed25519 private key (PEM, PKCS#8)")
    return key


def load_public(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("a previous key must be an Ed25519 public key (PEM)")
    return key
