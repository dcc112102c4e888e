"""The page budget (design §7): every learner page, of every module, under 50 KB of HTML+CSS+JS,
with nothing loaded from another origin and no web fonts. bench/pages_bench.py reports the figures."""
from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import requests
from flask import Flask
from learner_helpers import Learner, submit_quiz
from lti_helpers import Launcher

from lti_tool.runtime import runtime

BUDGET = 50 * 1024
#: what a page pulls in: stylesheets, scripts, images, frames, fonts
ASSET = re.compile(r'<(?:link[^>]*rel="stylesheet"[^>]*href|script[^>]*src|img[^>]*src|iframe[^>]*src)="([^"]+)"')


def weight(http: requests.Session, url: str, html: str, cache: dict[str, int]) -> tuple[int, list[str]]:
    """Bytes of the page plus every asset it references (each asset fetched once), and the assets."""
    assets = [urljoin(url, src) for src in ASSET.findall(html)]
    for asset in assets:
        if asset not in cache:
            response = http.get(asset, timeout=10)
            assert response.status_code == 200, asset
            assert "@font-face" not in response.text and "url(" not in response.text, f"{asset} loads more files"
            cache[asset] = len(response.content)
    return len(html.encode()) + sum(cache[a] for a in assets), assets


def test_every_learner_page_of_every_module_is_within_budget(launcher: Launcher, app: Flask) -> None:
    learner = Learner.launch(launcher, sub="budget-learner")
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(learner.base))
    cache: dict[str, int] = {}
    heaviest: dict[str, tuple[int, str]] = {}

    def check(kind: str, response: requests.Response) -> None:
        assert response.status_code in (200, 409), (response.url, response.status_code)
        total, assets = weight(learner.http, response.url, response.text, cache)
        assert all(a.startswith(origin + "/") for a in assets), f"{response.url} loads {assets}"
        assert total < BUDGET, f"{response.url}: {total} bytes of HTML+CSS+JS (budget {BUDGET})"
        if total > heaviest.get(kind, (0, ""))[0]:
            heaviest[kind] = (total, response.url)

    for module in runtime(app).catalogue:
        check("overview", learner.get(f"/m/{module.id}/"))
        if not module.is_complete:
            continue
        for page in module.pages("en")[0]:
            check("page", learner.get(f"/m/{module.id}/p/{page.id}"))
        check("quiz", learner.get(f"/m/{module.id}/quiz"))
        result = submit_quiz(learner, app, module.id, correct=False)
        check("result", learner.http.get(urljoin(learner.base, result.headers["Location"]), timeout=10))
    assert set(heaviest) == {"overview", "page", "quiz", "result"}
