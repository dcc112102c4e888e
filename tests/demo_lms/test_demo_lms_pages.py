"""The pages a newcomer clicks through: course, launch, errors, and their security headers."""
from __future__ import annotations

import re

from flask.testing import FlaskClient

from lti_tool.demo_lms import DemoLms


def test_course_page_lists_people_and_placements(client: FlaskClient, lms: DemoLms) -> None:
    resp = client.get("/")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "EMM2.0 — Caribbean cohort (demo)" in page
    for module in ("m01", "m04", "m06", "m13", "m16"):
        assert f"<code>{module}</code>" in page
    for text in ("Antigua and Barbuda", "Grenada", "Saint Vincent and the Grenadines", "Immigration Department",
                 "Ministry of Labour", "National Emergency Management Organisation", "Facilitator", "Administrator"):
        assert text in page
    assert "Add modules (Deep Linking)" in page
    # Every form control has a label.
    for control_id in re.findall(r'<(?:input|select) [^>]*id="([^"]+)"', page):
        assert f'for="{control_id}"' in page


def test_html_pages_have_a_strict_csp_that_allows_the_tool_frame(client: FlaskClient, lms: DemoLms) -> None:
    csp = client.get("/launch", query_string={"user": "4", "placement": "1"}).headers["Content-Security-Policy"]
    assert f"frame-src 'self' {lms.cfg.tool_base_url}" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_the_launch_page_answers_platform_storage_only_for_the_tool(client: FlaskClient) -> None:
    script = client.get("/static/platform_storage.js").get_data(as_text=True)
    assert "event.origin !== toolOrigin" in script
    for subject in ("lti.capabilities", "lti.get_data", "lti.put_data"):
        assert subject in script


def test_errors_are_pages_not_tracebacks(client: FlaskClient) -> None:
    resp = client.get("/no-such-page")
    assert resp.status_code == 404 and "Back to the course" in resp.get_data(as_text=True)
    resp = client.get("/ags/2/no-such-service")
    assert resp.status_code == 404 and resp.is_json


def test_return_url_shows_the_tool_message(client: FlaskClient) -> None:
    assert "All done" in client.get("/return", query_string={"lti_msg": "All done"}).get_data(as_text=True)
    assert client.post("/lti11/outcomes").status_code == 501
