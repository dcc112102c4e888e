"""Map LTI role URIs onto the three things this tool cares about: learner, facilitator, admin."""
from __future__ import annotations

import enum
from typing import Iterable

_MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
_MEMBERSHIP_SUB = "http://purl.imsglobal.org/vocab/lis/v2/membership/"
_INSTITUTION = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"
_SYSTEM = "http://purl.imsglobal.org/vocab/lis/v2/system/person#"

_FACILITATOR_CONTEXT_ROLES = {"Instructor", "TeachingAssistant", "Mentor", "ContentDeveloper"}
_ADMIN_ROLES = {"Administrator", "SysAdmin"}


class Access(enum.IntEnum):
    """Ordered: an admin may do what a facilitator may, who may do what a learner may."""

    LEARNER = 1
    FACILITATOR = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()


def access_for(roles: Iterable[str]) -> Access:
    """The highest access the roles grant. Unknown roles are ignored (they are valid LTI)."""
    best = Access.LEARNER
    for role in roles:
        if not isinstance(role, str):
            continue
        if role.startswith((_INSTITUTION, _SYSTEM)):
            if role.rsplit("#", 1)[1] in _ADMIN_ROLES:
                return Access.ADMIN
            continue
        if role.startswith(_MEMBERSHIP_SUB):
            # a sub-role such as membership/Instructor#TeachingAssistant: the principal role counts
            principal = role[len(_MEMBERSHIP_SUB):].split("#", 1)[0]
        elif role.startswith(_MEMBERSHIP):
            principal = role[len(_MEMBERSHIP):]
        elif "/" not in role and "#" not in role:
            principal = role  # short context role names (deprecated but still sent, e.g. by NRPS)
        else:
            continue
        if principal in _FACILITATOR_CONTEXT_ROLES or principal == "Administrator":
            best = max(best, Access.FACILITATOR)
    return best
