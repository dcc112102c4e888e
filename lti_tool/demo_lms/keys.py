"""The platform's RS256 signing key, kept in state_dir so a restart does not break registered tools."""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

log = logging.getLogger(__name__)

KEY_FILE = "platform_key.pem"


def jwk_thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """RFC 7638 thumbprint: a kid that changes exactly when the key does."""
    jwk = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _write_private_key(path: Path, key: rsa.RSAPrivateKey) -> None:
    """Write atomically with mode 0600, so a crash never leaves half a key and nobody else reads it."""
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    os.replace(tmp, path)


class PlatformKey:
    """One active signing key; rotating replaces it, and the old kid leaves the JWKS at once."""

    def __init__(self, state_dir: Path) -> None:
        self._path = Path(state_dir) / KEY_FILE
        self._lock = threading.Lock()
        self._path.parent.mkdir(parents=True, exist_ok=True)
        if self._path.exists():
            key = serialization.load_pem_private_key(self._path.read_bytes(), password=None)
            if not isinstance(key, rsa.RSAPrivateKey):
                raise ValueError(f"{self._path} does not hold an RSA private key")
        else:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            _write_private_key(self._path, key)
            log.info("generated the demo LMS platform key in %s", self._path)
        # One tuple, swapped in one assignment, so a signer never pairs a key with another key's kid.
        self._current: tuple[rsa.RSAPrivateKey, str] = (key, jwk_thumbprint(key.public_key()))

    @property
    def kid(self) -> str:
        return self._current[1]

    def jwks(self) -> dict[str, Any]:
        """The public key set, shaped like Moodle's certs.php."""
        key, kid = self._current
        jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
        return {"keys": [{"kty": "RSA", "alg": "RS256", "kid": kid, "e": jwk["e"], "n": jwk["n"], "use": "sig"}]}

    def sign(self, claims: dict[str, Any]) -> str:
        key, kid = self._current
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid, "typ": "JWT"})

    def rotate(self) -> str:
        """Replace the key on disk and in memory; return the new kid."""
        with self._lock:
            old_kid = self.kid
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            _write_private_key(self._path, key)
            self._current = (key, jwk_thumbprint(key.public_key()))
        log.info("rotated the demo LMS platform key: %s -> %s", old_kid, self.kid)
        return self.kid
