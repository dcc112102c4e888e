"""The demo course, its people and its default placements: plain data, edit freely."""
from __future__ import annotations

from dataclasses import dataclass

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
ROLE_LEARNER = MEMBERSHIP + "Learner"
ROLE_INSTRUCTOR = MEMBERSHIP + "Instructor"
ROLE_INSTITUTION_ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"
ROLE_SYSTEM_ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"

#: Moodle language codes (not BCP 47), as sent in launch_presentation.locale
LOCALES: tuple[tuple[str, str], ...] = (("en", "English"), ("es_mx", "Español (México)"), ("fr", "Français"))


#: names for the country codes used here, for the pages only (claims carry the codes)
COUNTRY_NAMES = {
    "AG": "Antigua and Barbuda",
    "BB": "Barbados",
    "GD": "Grenada",
    "VC": "Saint Vincent and the Grenadines",
}


@dataclass(frozen=True)
class Course:
    """The LTI context: one course section, as Moodle describes it."""

    id: str
    label: str
    title: str
    sourcedid: str


COURSE = Course(
    id="2",
    label="EMM2-CARIB",
    title="EMM2.0 — Caribbean cohort (demo)",
    sourcedid="EMM2-CARIB-2025",
)


@dataclass(frozen=True)
class User:
    """A person to act as; `sub` is the LMS user id as a string, as Moodle sends it."""

    sub: str
    username: str
    given_name: str
    family_name: str
    email: str
    #: ISO 3166-1 alpha-2 profile country; "" when unset (Moodle then substitutes an empty string)
    country: str
    agency: str
    #: full role URIs, in the order Moodle sends them
    roles: tuple[str, ...]
    #: enrolled in the course (the site admin is not, as in Moodle)
    enrolled: bool = True
    locale: str = "en"
    sourcedid: str = ""
    #: the profile time zone Moodle substitutes for $Person.address.timezone ("99": the site's zone)
    timezone: str = "99"

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def country_name(self) -> str:
        return COUNTRY_NAMES.get(self.country, self.country) or "no profile country"

    @property
    def is_learner(self) -> bool:
        """Only enrolled learners have a gradebook row; Moodle refuses scores for anyone else."""
        return self.enrolled and ROLE_LEARNER in self.roles

    @property
    def can_deep_link(self) -> bool:
        return ROLE_INSTRUCTOR in self.roles or ROLE_SYSTEM_ADMIN in self.roles

    @property
    def role_label(self) -> str:
        if ROLE_SYSTEM_ADMIN in self.roles:
            return "Administrator"
        if ROLE_INSTRUCTOR in self.roles:
            return "Facilitator"
        return "Learner"

    @property
    def nrps_roles(self) -> list[str]:
        """NRPS lists short context role names (Learner, Instructor), unlike the id_token."""
        return [r.removeprefix(MEMBERSHIP) for r in self.roles if r.startswith(MEMBERSHIP)]


USERS: tuple[User, ...] = (
    User(
        sub="4", username="learner.ag", given_name="Keisha", family_name="Joseph",
        email="keisha.joseph@example.org", country="AG", agency="Immigration Department",
        roles=(ROLE_LEARNER,), sourcedid="AG-IMM-0041", timezone="America/Antigua",
    ),
    User(
        sub="5", username="learner.gd", given_name="Marcus", family_name="Charles",
        email="marcus.charles@example.org", country="GD", agency="Ministry of Labour",
        roles=(ROLE_LEARNER,), sourcedid="GD-LAB-0107", timezone="America/Grenada",
    ),
    User(
        sub="6", username="learner.vc", given_name="Shanice", family_name="Browne",
        email="shanice.browne@example.org", country="VC",
        agency="National Emergency Management Organisation", roles=(ROLE_LEARNER,),
        sourcedid="VC-NEMO-0023", timezone="America/St_Vincent",
    ),
    User(
        sub="3", username="facilitator", given_name="Daniel", family_name="Ortega",
        email="daniel.ortega@example.org", country="BB", agency="IOM (facilitator)",
        roles=(ROLE_INSTRUCTOR,), sourcedid="IOM-FAC-0003", timezone="America/Barbados",
    ),
    User(
        sub="2", username="admin", given_name="Admin", family_name="User", email="admin@example.org",
        country="", agency="LMS administration",
        roles=(ROLE_INSTITUTION_ADMIN, ROLE_INSTRUCTOR, ROLE_SYSTEM_ADMIN), enrolled=False,
    ),
)


@dataclass(frozen=True)
class PlacementSeed:
    """A placement the course starts with: one module, an optional activity-level country."""

    module: str
    title: str
    country: str | None = None
    #: grade column maximum (Moodle's default for an LTI activity is 100)
    score_maximum: float = 100
    #: the grade column's resourceId and tag: set by the tool's Deep Linking (the module id, "emm2"),
    #: empty for an activity a teacher adds by hand
    resource_id: str = ""
    tag: str = ""


#: The default course layout; the tool's catalogue has m01..m16.
DEFAULT_PLACEMENTS: tuple[PlacementSeed, ...] = (
    PlacementSeed("m01", "Module 01 — The Global Context of Migration"),
    # added through the tool's Deep Linking, as its column shows: m01's last page links here, and a
    # learner who passes m02 from inside m01 scores in this column
    PlacementSeed("m02", "Module 02 — International Migration Law", resource_id="m02", tag="emm2"),
    PlacementSeed("m04", "Module 04 — Gender and Migration"),
    PlacementSeed("m06", "Module 06 — Migration Management and the Policy Cycle"),
    PlacementSeed("m13", "Module 13 — Trafficking in Persons and Migrant Smuggling"),
    PlacementSeed("m16", "Module 16 — Mobility Dimensions of Crises (Grenada session)", country="GD"),
)
