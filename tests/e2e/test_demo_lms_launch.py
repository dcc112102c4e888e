"""End to end through the demo LMS: its real OIDC authorization endpoint, id_tokens and key set."""
from __future__ import annotations

import re
from html import unescape

import requests

from e2e_support import browse_launch

LEARNER_GD = "5"      # Marcus Charles, Grenada
FACILITATOR = "3"


def placement_id(demo_lms, module: str) -> str:
    with demo_lms.lms.state.lock:
        return next(p.id for p in demo_lms.lms.state.placements.values() if p.module == module)


def test_learner_from_grenada_opens_module_04(demo_lms) -> None:
    page = browse_launch(demo_lms, LEARNER_GD, placement_id(demo_lms, "m04"))
    assert page.status_code == 200
    assert "Gender and Migration" in page.text


def test_spanish_locale_from_the_lms(demo_lms) -> None:
    page = browse_launch(demo_lms, LEARNER_GD, placement_id(demo_lms, "m01"), locale="es_mx")
    assert page.status_code == 200
    assert 'lang="es"' in page.text


def test_facilitator_deep_links_modules_into_the_demo_course(demo_lms) -> None:
    picker = browse_launch(demo_lms, FACILITATOR, deep_link=True)
    assert picker.status_code == 200
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', picker.text).group(1)
    reply = requests.post(picker.url, data={"csrf_token": token, "modules": ["m12"], "country": "VC", "graded": "y"},
                          timeout=10)
    action = unescape(re.search(r'<form method="post" action="([^"]+)"', reply.text).group(1))
    jwt_value = re.search(r'name="JWT" value="([^"]+)"', reply.text).group(1)
    before = len(demo_lms.lms.state.placements)
    landed = requests.post(action, data={"JWT": jwt_value}, timeout=10)
    assert landed.status_code in (200, 303), landed.text[:500]
    with demo_lms.lms.state.lock:
        placements = list(demo_lms.lms.state.placements.values())
    assert len(placements) == before + 1
    added = placements[-1]
    assert added.module == "m12" and added.country == "VC"
