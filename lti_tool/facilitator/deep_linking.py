"""Build the LTI Deep Linking response that places modules in a course, signed with our key."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem

from ..errors import BadRequest
from ..grades.lineitems import LINEITEM_TAG, SCORE_MAXIMUM
from ..lti.claims import Claim
from ..lti.models import Launch
from ..lti.pylti import registration_for


@dataclass(frozen=True)
class DeepLinkReply:
    return_url: str
    jwt: str
    titles: list[str]


def settings_of(launch: Launch) -> dict[str, Any]:
    settings = launch.claims.get(Claim.DL_SETTINGS)
    if not isinstance(settings, dict) or not settings.get("deep_link_return_url"):
        raise BadRequest("This launch is not a deep linking request; start “Add an activity” from the LMS again.")
    return settings


def accepts_multiple(settings: dict[str, Any]) -> bool:
    value = settings.get("accept_multiple", True)
    return value is True or str(value).lower() == "true"


def build_reply(launch: Launch, modules: list[Any], *, launch_url: str, lang: str,
                country: str | None, graded: bool) -> DeepLinkReply:
    """One ltiResourceLink per module, with custom `module` (and `country`) and, if graded, a line item."""
    settings = settings_of(launch)
    if not modules:
        raise BadRequest("Choose at least one module to add.")
    if len(modules) > 1 and not accepts_multiple(settings):
        raise BadRequest("Your LMS accepts one module at a time here: choose a single module.")
    resources = []
    for module in modules:
        title = module.title(lang).text
        custom = {"module": module.id}
        if country:
            custom["country"] = country
        resource = DeepLinkResource().set_url(launch_url).set_title(title).set_custom_params(custom)
        if graded:
            resource.set_lineitem(
                LineItem().set_score_maximum(SCORE_MAXIMUM).set_label(title)
                .set_resource_id(module.id).set_tag(LINEITEM_TAG)
            )
        resources.append(resource)
    deep_link = DeepLink(registration_for(launch.platform), launch.deployment.deployment_id, settings)
    message = deep_link.get_message_jwt(resources)
    # pylti1p3 has no `text`; the summary helps the LMS describe the new activity
    for item, module in zip(message[Claim.DL_CONTENT_ITEMS], modules):
        item["text"] = module.summary(lang).text
    if settings.get("data") is None:
        message.pop(Claim.DL_DATA, None)
    return DeepLinkReply(
        return_url=settings["deep_link_return_url"],
        jwt=deep_link.encode_jwt(message),
        titles=[module.title(lang).text for module in modules],
    )
