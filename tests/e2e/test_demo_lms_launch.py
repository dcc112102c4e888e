"""End to end through the demo LMS: its real OIDC authorization endpoint, id_tokens and key set."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import urljoin

import requests

LEARNER_GD = "5"      # Marcus Charles, Grenada
FACILITATOR = "3"


def browse_launch(demo_lms, user: str, placement: str | None = None, **kwargs) -> requests.Response:
    """What a browser does in the LMS iframe, without JavaScript: login → LMS auth → form post → tool."""
    http = requests.Session()
    login = http.get(demo_lms.lms.login_url(user, placement, platform_storage=False, **kwargs),
                     allow_redirects=False, timeout=10)
    assert login.status_code == 302, login.text[:300]
    auth = http.get(login.headers["Location"], timeout=10)
    assert auth.status_code == 200, auth.text[:300]
    action = unescape(re.search(r'<form[^>]*action="([^"]+)"', auth.text).group(1))
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', auth.text))
    cookies = {c.name: c.value for c in http.cookies}  # the state cookie is Secure; loopback http is fine here
    launched = requests.post(action, data={k: unescape(v) for k, v in fields.items()}, cookies=cookies,
                             allow_redirects=False, timeout=10)
    assert launched.status_code == 303, launched.text[:500]
    return requests.get(urljoin(launched.url, launched.headers["Location"]), timeout=10)


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
