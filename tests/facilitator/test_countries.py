"""Countries right: a result counts under the country of its completion, never moved by a later one;
every rollout country shows, with 0; country names in the reader's language."""
from __future__ import annotations

import pytest
from flask import Flask

from facilitator_support import facilitator, learner, row_of, text
from learner_helpers import complete_module
from lti_tool.config import ConfigError, Settings
from lti_tool.countries import country_choices, country_name, label
from lti_tool.runtime import runtime
from security_support import ADMIN, ROLES

RESOURCE_LINK = "https://purl.imsglobal.org/spec/lti/claim/resource_link"


def complete(app: Flask, person, module: str) -> None:
    assert complete_module(person, app, module).status_code == 303


def test_a_completion_for_another_country_does_not_move_the_learner(app: Flask, launcher) -> None:
    # Marcus works for Grenada; the course's m06 activity is placed for Antigua and Barbuda (AG)
    marcus = learner(launcher, "C-GD", "Marcus Charles", module="m01", country="GD",
                     **{RESOURCE_LINK: {"id": "rl-m01", "title": "Module 01"}})
    assert marcus.get("/m/m01/p/" + runtime(app).catalogue.get("m01").pages("en")[0][0].id).status_code == 200
    placed_ag = learner(launcher, "C-GD", "Marcus Charles", module="m06", country="GD", activity_country="AG",
                        **{RESOURCE_LINK: {"id": "rl-m06", "title": "Module 06 (AG)"}})
    complete(app, placed_ag, "m06")
    staff = facilitator(launcher, module="m06", **{RESOURCE_LINK: {"id": "rl-m06", "title": "Module 06 (AG)"}})
    overview = staff.get("/facilitator/")
    by_country = overview.text.split('id="by-country"')[1].split("</table>")[0]
    # AG: his m06 completion; GD: his m01 result (started, not completed); VC: nothing, but listed
    assert row_of(by_country, "Antigua and Barbuda (AG)") == "Antigua and Barbuda (AG) 1 1 1 100% 1 1 100%"
    assert row_of(by_country, "Grenada (GD)") == "Grenada (GD) 1 1 0 0% 0 0 —"
    assert row_of(by_country, "Saint Vincent and the Grenadines (VC)") == \
        "Saint Vincent and the Grenadines (VC) 0 0 0 — 0 0 —"
    grid = overview.text.split('id="learners"')[1]
    assert "GD" in row_of(grid, "Marcus Charles")  # his own country stays Grenada
    # the admin report agrees: GD 1 learner (no completion), AG 1 completion
    admin = learner(launcher, "C-ADM", "Ada Admin", **{ROLES: ADMIN})
    report = admin.get("/admin/")
    assert report.status_code == 200
    lines = report.text.split('id="lines"')[1].split("</tbody>")[0]
    assert row_of(lines, "Antigua and Barbuda (AG)") == "Antigua and Barbuda (AG) 1 1 1 100% 1 1 100%"
    assert row_of(lines, "Grenada (GD)") == "Grenada (GD) 1 1 0 0% 0 0 —"
    assert row_of(lines, "Saint Vincent and the Grenadines (VC)").startswith("Saint Vincent and the Grenadines (VC) 0 0 0")


def test_country_names_follow_the_readers_language() -> None:
    assert country_name("GD", "es") == "Granada"
    assert country_name("VC", "es") == "San Vicente y las Granadinas"
    assert country_name("VC", "fr") == "Saint-Vincent-et-les Grenadines"
    assert country_name("AG", "fr") == "Antigua-et-Barbuda"
    assert country_name("VC") == "Saint Vincent and the Grenadines"  # English: ISO's name, as in the gradebook
    assert label("GD") == "Grenada (GD)"


def test_spanish_staff_pages_name_countries_in_spanish(app: Flask, launcher) -> None:
    learner(launcher, "ES-1", "Lucía Pérez", country="VC")
    presentation = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"
    staff = facilitator(launcher, **{presentation: {"locale": "es_mx"}})
    page = staff.get("/facilitator/m/m01/")
    assert "San Vicente y las Granadinas (VC)" in page.text and "Granada (GD)" in page.text
    assert 'lang="es"' in page.text


def test_the_rollout_countries_are_a_setting(tmp_path) -> None:
    base = {"env": {}, "instance_path": str(tmp_path), "secret_key": "s" * 40}
    assert Settings.from_env(**base).rollout_countries == ("AG", "GD", "VC")
    assert Settings.from_env(**base, rollout_countries="lc, ag,LC").rollout_countries == ("LC", "AG")
    with pytest.raises(ConfigError, match="EMM_ROLLOUT_COUNTRIES: 'XX' is not an ISO 3166-1"):
        Settings.from_env(**base, rollout_countries="AG,XX")
    with pytest.raises(ConfigError, match="EMM_DISPLAY_TIMEZONE must be an IANA time zone"):
        Settings.from_env(**base, display_timezone="Mars/Olympus")


def test_pickers_put_the_rollout_countries_first(app: Flask) -> None:
    with app.test_request_context():
        assert [code for code, _ in country_choices()[:3]] == ["AG", "GD", "VC"]
