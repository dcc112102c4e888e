"""Languages: the LMS locale, the learner's own choice, English fallback per module, lang attributes."""
from __future__ import annotations

import re

from flask import Flask
from learner_helpers import Learner, hidden_fields, submit_quiz
from lti_helpers import Launcher

from lti_tool.extensions import db
from lti_tool.lti.models import Launch
from lti_tool.runtime import runtime

PRESENTATION = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"


def switch(learner: Learner, locale: str, next_path: str) -> object:
    page = learner.get(next_path)
    fields = hidden_fields(page.text, action_contains="/language")
    return learner.post("/language", {**fields, "locale": locale})


def test_lms_locale_sets_the_interface_and_content_language(launcher: Launcher) -> None:
    learner = Learner.launch(launcher, **{PRESENTATION: {"locale": "es_mx", "document_target": "iframe"}})
    page = learner.get("/m/m01/").text
    assert '<html lang="es">' in page
    assert "<h1>El contexto mundial de la migración</h1>" in page   # content in Spanish, no lang needed
    assert "Lo que aprenderá" in page and "Empezar a leer" in page
    assert "no está disponible" not in page   # m01 is translated: no fallback notice
    reading = learner.get("/m/m01/p/key-terms").text
    assert "Página 2 de 5" in reading and "¿Quién es migrante? Términos clave" in reading


def test_module_without_translation_falls_back_to_english_and_says_so(launcher: Launcher) -> None:
    # every shipped module is translated into Spanish: the fixture t91 has only its title in Spanish
    learner = Learner.launch(launcher, module="t91", **{PRESENTATION: {"locale": "es"}})
    overview = learner.get("/m/t91/").text
    assert '<html lang="es">' in overview
    assert "Este módulo todavía no está disponible en español, así que se muestra en inglés." in overview
    assert "<h1>Módulo de prueba con cuestionario</h1>" in overview   # the title is translated
    assert re.search(r'/m/t91/p/intro" lang="en">', overview)         # the pages are not
    page = learner.get("/m/t91/p/intro").text
    assert '<article class="page" lang="en">' in page
    assert "se muestra en inglés" in page
    quiz = learner.get("/m/t91/quiz").text
    assert 'class="prompt" lang="en"' in quiz and "Pregunta 1 de 10" in quiz


def test_learner_switches_language_and_it_is_kept(launcher: Launcher, app: Flask) -> None:
    learner = Learner.launch(launcher)
    response = switch(learner, "fr", "/m/m01/p/key-terms")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/l/{learner.ref}/m/m01/p/key-terms"
    page = learner.get("/m/m01/p/key-terms").text
    assert '<html lang="fr">' in page and "Page 2 sur 5" in page
    assert '<article class="page">' in page   # m01 is written in French too: the page's language is the UI's
    assert "pas encore disponible en français" not in page
    assert '<option value="fr" lang="fr" selected>Français</option>' in page
    with app.app_context():
        launch = db.session.get(Launch, runtime(app).refs.resolve(learner.ref))
        assert launch.participant.chosen_locale == "fr"
    # the choice outlives the launch: a new launch (LMS locale English) stays in French
    again = Learner.launch(launcher)
    assert '<html lang="fr">' in again.get("/m/m01/").text


def test_result_page_in_spanish(launcher: Launcher, app: Flask) -> None:
    learner = Learner.launch(launcher, **{PRESENTATION: {"locale": "es"}})
    response = submit_quiz(learner, app)
    result = learner.http.get(learner.tool_url + response.headers["Location"], timeout=10).text
    assert '<html lang="es">' in result
    assert "Aprobado" in result and "Respuesta correcta" in result
    assert "Explicación:" in result


def test_language_switch_refuses_bad_input(launcher: Launcher) -> None:
    learner = Learner.launch(launcher)
    fields = hidden_fields(learner.get("/m/m01/").text, action_contains="/language")
    assert learner.post("/language", {**fields, "locale": "de"}).status_code == 400
    assert learner.post("/language", {"locale": "es", "next": fields["next"]}).status_code == 400   # no token
    for target in ("https://evil.example/", "//evil.example/x", "/l/someone-else/m/m01/"):
        response = learner.post("/language", {**fields, "locale": "es", "next": target})
        assert response.status_code == 303
        assert response.headers["Location"] == f"/l/{learner.ref}/", target
