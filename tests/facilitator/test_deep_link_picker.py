"""The Deep Linking picker: modules by section with summary and duration, outlines greyed with the
reason and refused on the same form, "nothing chosen" said on the same form, modules already in the
course marked, and placed modules listed in the class views before anyone launches them."""
from __future__ import annotations

import re
from urllib.parse import urljoin

import requests

from facilitator_support import facilitator, text
from lti_helpers import Launcher

DL = "07_id_token_deep_linking_request.json"


def open_picker(launcher: Launcher) -> requests.Response:
    response = launcher.launch(DL)
    assert response.status_code == 303, response.text[:400]
    return requests.get(urljoin(response.url, response.headers["Location"]), timeout=10)


def csrf(page: requests.Response) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)


def test_the_picker_groups_modules_and_greys_what_is_not_ready(launcher: Launcher) -> None:
    picker = open_picker(launcher)
    assert picker.status_code == 200
    words = text(picker.text)
    assert words.index("Foundations") < words.index("The migration policy cycle") < words.index("Thematic modules")
    assert re.search(r'<input type="checkbox" id="mod-t90" name="modules" value="t90" disabled '
                     r'aria-describedby="mod-t90-why">', picker.text)
    assert 'id="mod-t90-why">Not ready: still being written (an outline without pages or quiz).' in picker.text
    assert "Fixture outline module" in words and "about 30 minutes" in words
    assert re.search(r'<input type="checkbox" id="mod-m01" name="modules" value="m01">', picker.text)


def test_an_outline_is_refused_on_the_same_form(launcher: Launcher) -> None:
    picker = open_picker(launcher)
    refused = requests.post(picker.url, data={"csrf_token": csrf(picker), "modules": ["m01", "t90"]}, timeout=10)
    assert refused.status_code == 400
    assert "Fixture outline module cannot be added: Not ready" in text(refused.text)
    assert 'name="modules" value="m01" checked' in refused.text  # the choice is kept
    assert "<form" in refused.text and 'name="JWT"' not in refused.text


def test_choosing_nothing_is_said_on_the_same_form(launcher: Launcher) -> None:
    picker = open_picker(launcher)
    refused = requests.post(picker.url, data={"csrf_token": csrf(picker)}, timeout=10)
    assert refused.status_code == 400
    assert "Choose at least one module to add." in refused.text and "Add to course" in refused.text


def test_placed_modules_show_before_anyone_launches_them(launcher: Launcher) -> None:
    picker = open_picker(launcher)
    placed = requests.post(picker.url, data={"csrf_token": csrf(picker), "modules": ["m13"], "country": "VC",
                                             "graded": "y"}, timeout=10)
    assert placed.status_code == 200 and 'name="JWT"' in placed.text
    again = open_picker(launcher)
    assert re.search(r'value="m13">\s*<label for="mod-m13"><strong lang="en">Trafficking in Persons and Migrant '
                     r'Smuggling</strong>\s*<span class="muted">· about \d+ minutes</span>\s*'
                     r'<span class="placed">· already in this course</span>', again.text)
    # the same course (the deep linking request's context), seen by a facilitator of an m01 activity
    overview = facilitator(launcher).get("/facilitator/")
    assert "Trafficking in Persons and Migrant Smuggling" in overview.text
    assert "The Global Context of Migration" in overview.text
    m13 = facilitator(launcher, sub="FAC-2").get("/facilitator/m/m13/")
    assert "This module is not placed in this course" not in m13.text
