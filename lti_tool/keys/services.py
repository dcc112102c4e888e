"""Create, rotate and publish the tool's RSA keys. Private keys never leave this module as text."""
from __future__ import annotations

import json
import logging
import secrets
import threading
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from ..errors import BadRequest, NotFound
from ..extensions import db
from ..models_base import utcnow
from .models import KeyStatus, ToolKey

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SigningKey:
    """The active key, loaded once per process and per kid."""

    kid: str
    private_key: Any
    private_pem: str


_loaded: dict[str, SigningKey] = {}
_lock = threading.Lock()


def _new_key_row(status: KeyStatus) -> ToolKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    kid = secrets.token_hex(8)
    public_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    public_jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return ToolKey(kid=kid, private_pem=pem, public_jwk=public_jwk, status=status)


def ensure_active_key() -> ToolKey:
    """Return the active key, creating the first one on a new install."""
    key = db.session.scalar(select(ToolKey).where(ToolKey.status == KeyStatus.ACTIVE))
    if key is None:
        key = _new_key_row(KeyStatus.ACTIVE)
        db.session.add(key)
        db.session.flush()
        log.info("created the first tool key %s", key.kid)
    return key


def rotate() -> ToolKey:
    """Make a new active key; the previous one stays published until retired."""
    current = db.session.scalars(select(ToolKey).where(ToolKey.status == KeyStatus.ACTIVE)).all()
    for key in current:
        key.status = KeyStatus.PUBLISHED
        key.rotated_at = utcnow()
    new = _new_key_row(KeyStatus.ACTIVE)
    db.session.add(new)
    db.session.flush()
    log.info("rotated tool keys: %s is active, %s still published", new.kid, [k.kid for k in current])
    return new


def retire(kid: str) -> ToolKey:
    """Drop a published key from the JWKS. The active key cannot be retired."""
    key = db.session.scalar(select(ToolKey).where(ToolKey.kid == kid))
    if key is None:
        raise NotFound(f"no key with kid {kid!r}")
    if key.status == KeyStatus.ACTIVE:
        raise BadRequest(f"key {kid} is the active key: rotate first, then retire it")
    key.status = KeyStatus.RETIRED
    key.retired_at = utcnow()
    db.session.flush()
    return key


def list_keys() -> list[ToolKey]:
    return list(db.session.scalars(select(ToolKey).order_by(ToolKey.created_at, ToolKey.id)))


#: the JWKS this process served last, for a database outage (see public_jwks)
_last_jwks: list[dict[str, list[dict[str, Any]]]] = []


def public_jwks() -> dict[str, list[dict[str, Any]]]:
    """The JWKS: the active key and every published one, newest first.

    While the database does not answer, the copy this process served last: LMSs fetch the JWKS to
    check the tool's token requests, and a few seconds of database outage must not make them refuse
    the grade workers' tokens (after which the workers wait minutes before asking again).
    """
    from ..monitoring.outages import service_down

    try:
        rows = db.session.scalars(
            select(ToolKey)
            .where(ToolKey.status.in_([KeyStatus.ACTIVE, KeyStatus.PUBLISHED]))
            .order_by(ToolKey.created_at.desc(), ToolKey.id.desc())
        )
        jwks = {"keys": [dict(row.public_jwk) for row in rows]}
    except Exception as exc:
        if not _last_jwks or service_down(exc) is None:
            raise
        log.warning("the database is not answering: serving the key set read last")
        db.session.remove()
        return _last_jwks[0]
    _last_jwks[:] = [jwks]
    return jwks


def signing_key() -> SigningKey:
    """The active private key, parsed once per process (parsing a PEM costs more than a signature)."""
    row = db.session.execute(
        select(ToolKey.kid, ToolKey.private_pem).where(ToolKey.status == KeyStatus.ACTIVE)
    ).first()
    if row is None:
        row_obj = ensure_active_key()
        kid, pem = row_obj.kid, row_obj.private_pem
    else:
        kid, pem = row.kid, row.private_pem
    cached = _loaded.get(kid)
    if cached is None:
        with _lock:
            cached = _loaded.get(kid) or SigningKey(
                kid, serialization.load_pem_private_key(pem.encode(), password=None), pem
            )
            _loaded[kid] = cached
    return cached


def sign_jwt(payload: dict[str, Any]) -> str:
    """Sign a message (deep linking response, client assertion) with the active key."""
    key = signing_key()
    return jwt.encode(payload, key.private_key, algorithm="RS256", headers={"kid": key.kid})
