"""A launch whose login initiation and id_token are built by lti1p3platform, an LTI platform
library from PyPI written independently of this project, driven over real HTTP."""
from __future__ import annotations

import typing as t
from types import SimpleNamespace
from urllib.parse import parse_qsl, urljoin, urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from flask import Flask
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import MessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration

from lti_helpers import KeyServer, LiveServer, rsa_key
from lti_tool.extensions import db
from lti_tool.platforms.services import PlatformSpec, register_platform

ISSUER_PATH = "independent-lms"


def _pem_pair() -> tuple[str, str]:
    key = rsa_key()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


class PlatformConf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: t.Any) -> None:
        self._kwargs = kwargs

    def get_registration_by_params(self, **kwargs: t.Any) -> Registration:
        k = self._kwargs
        return (Registration().set_iss(k["iss"]).set_client_id("independent-client").set_deployment_id("dep-7")
                .set_oidc_login_url(k["tool"] + "/lti/login").set_launch_url(k["tool"] + "/lti/launch")
                .set_platform_private_key(k["private"]).set_platform_public_key(k["public"]))


class Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: t.Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


class Launch(MessageLaunchAbstract):
    def render_launch_form(self, launch_data: dict[str, t.Any], **kwargs: t.Any) -> dict[str, t.Any]:
        return launch_data


def test_launch_built_by_lti1p3platform(app: Flask, tool_server: LiveServer, key_server: KeyServer) -> None:
    private, public = _pem_pair()
    conf = PlatformConf(iss=f"{key_server.url}/{ISSUER_PATH}", tool=tool_server.url, private=private, public=public)
    registration = conf.get_registration()
    key_server.keysets[ISSUER_PATH] = conf.get_jwks()["keys"]
    with app.app_context():
        register_platform(PlatformSpec.build(
            issuer=registration.get_iss(), client_id="independent-client", deployment_ids=["dep-7"],
            auth_login_url=f"{key_server.url}/{ISSUER_PATH}/auth", auth_token_url=f"{key_server.url}/{ISSUER_PATH}/token",
            key_set_url=f"{key_server.url}/{ISSUER_PATH}/jwks", name="Independent LMS"))
        db.session.commit()

    # 1. the platform library builds the third-party login initiation
    login = Login(SimpleNamespace(), conf)
    login.set_lti_message_hint(hint="resource-link-42")
    preflight = login.initiate_login("user-77")
    assert preflight.startswith(tool_server.url + "/lti/login?")
    answer = requests.get(preflight, allow_redirects=False, timeout=10)
    assert answer.status_code == 302

    # 2. the tool's authentication request becomes the platform's "preflight response"
    auth_params = dict(parse_qsl(urlsplit(answer.headers["Location"]).query))
    assert auth_params["client_id"] == "independent-client"
    assert auth_params["redirect_uri"] == tool_server.url + "/lti/launch"
    launch = Launch(SimpleNamespace(get_data=auth_params, form_data={}), conf)
    launch.set_user_data("user-77", ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
                         full_name="Vera Vincent", email_address="vera@example.org")
    launch.set_resource_link_claim("resource-link-42", title="Module 16")
    launch.set_launch_context_claim("course-9", context_title="EMM2.0 cohort", context_label="EMM")
    launch.set_custom_parameters_claim({"module": "m16", "person_country": "VC"})
    form = launch.lti_launch()

    # 3. the browser posts the platform's form to the tool
    result = requests.post(form["launch_url"], data={"id_token": form["id_token"], "state": form["state"]},
                           cookies=dict(answer.cookies), allow_redirects=False, timeout=10)
    assert result.status_code == 303, result.text[:500]
    page = requests.get(urljoin(result.url, result.headers["Location"]), timeout=10)
    assert page.status_code == 200
    assert "Mobility Dimensions of Crises" in page.text
