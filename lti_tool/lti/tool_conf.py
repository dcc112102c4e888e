"""pylti1p3's tool configuration, read from our database instead of a JSON file."""
from __future__ import annotations

from typing import Any

from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfAbstract
from sqlalchemy import select

from ..extensions import db
from ..keys.services import signing_key
from ..platforms.models import Deployment, Platform


class DbToolConf(ToolConfAbstract):
    """Registrations keyed by (issuer, client_id): one issuer may hold many client ids (Canvas cloud)."""

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        raise NotImplementedError("registrations are always looked up by issuer and client_id")

    def find_deployment(self, iss: str, deployment_id: str) -> LtiDeployment | None:
        raise NotImplementedError("deployments are always looked up by issuer and client_id")

    def find_registration_by_params(
        self, iss: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Registration | None:
        platform = db.session.scalar(
            select(Platform).where(Platform.issuer == iss, Platform.client_id == client_id)
        )
        return registration_for(platform) if platform else None

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> LtiDeployment | None:
        found = db.session.scalar(
            select(Deployment.id)
            .join(Platform)
            .where(Platform.issuer == iss, Platform.client_id == client_id,
                   Deployment.deployment_id == deployment_id)
        )
        return LtiDeployment().set_deployment_id(deployment_id) if found else None


class KeyedRegistration(Registration):
    """A Registration whose kid is the one we publish, not one derived from the public key."""

    def __init__(self, kid: str):
        super().__init__()
        self._emm_kid = kid

    def get_kid(self) -> str:
        return self._emm_kid


def registration_for(platform: Platform) -> Registration:
    """A pylti1p3 Registration for a platform row, carrying our active signing key."""
    key = signing_key()
    registration = (
        KeyedRegistration(key.kid)
        .set_issuer(platform.issuer)
        .set_client_id(platform.client_id)
        .set_auth_login_url(platform.auth_login_url)
        .set_auth_token_url(platform.auth_token_url)
        .set_key_set_url(platform.key_set_url)
        .set_tool_private_key(key.private_pem)
    )
    if platform.auth_audience:
        registration.set_auth_audience(platform.auth_audience)
    return registration
