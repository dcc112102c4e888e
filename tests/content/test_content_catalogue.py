"""`load_catalogue`: the read-only curriculum the views use."""
from __future__ import annotations

import pytest

from lti_tool.content import (
    ContentInvalid,
    QuestionType,
    Section,
    check_modules,
    load_catalogue,
    normalize_lang,
)
from lti_tool.content.render import render_markdown


@pytest.fixture
def catalogue(good):
    return load_catalogue(good)


def test_modules_in_order_and_lookup(catalogue):
    assert [m.id for m in catalogue.modules] == ["m01", "m02"]
    m01 = catalogue.get("m01")
    assert m01 is not None and m01.order == 1 and m01.section is Section.FOUNDATIONS
    assert m01.is_complete and not catalogue.get("m02").is_complete
    assert (m01.minutes, m01.pass_mark, m01.attempts, m01.grading, m01.completion) == (
        30, 70, 3, "best", "pages_and_quiz")
    assert [r.url for r in m01.further_reading] == ["https://example.org/one", "https://example.org/two"]
    assert catalogue.get("m99") is None
    assert [m.id for m in catalogue.section("thematic")] == ["m02"]


def test_order_field_not_folder_name_decides(modules):
    for folder, order in (("m01", 2), ("m02", 1)):
        path = modules / folder / "module.yaml"
        path.write_text(path.read_text().replace(f"order: {3 - order}", f"order: {order}"))
    assert [m.id for m in load_catalogue(modules).modules] == ["m02", "m01"]


def test_outline_defaults(catalogue):
    m02 = catalogue.get("m02")
    assert (m02.pass_mark, m02.attempts, m02.further_reading) == (70, 3, ())
    assert m02.languages == () and m02.pages("en") == ([], "en") and m02.quiz("en") is None


def test_text_in_requested_language_or_english(catalogue):
    m01, m02 = catalogue.get("m01"), catalogue.get("m02")
    title = m01.title("es")
    assert (title.text, title.lang, title.fallback) == ("Módulo de prueba uno", "es", False)
    assert str(title) == "Módulo de prueba uno"
    fallback = m02.title("es")
    assert (fallback.text, fallback.lang, fallback.requested, fallback.fallback) == (
        "Test module two", "en", "es", True)
    assert m01.summary("fr").lang == "en"
    objectives = m01.objectives("es")
    assert objectives.lang == "es" and objectives.text[0] == "Explicar la primera idea."
    assert m02.objectives("es").lang == "en" and len(m02.objectives("es").text) == 3


def test_pages_fall_back_to_english(catalogue):
    m01 = catalogue.get("m01")
    assert m01.languages == ("en", "es")
    pages, lang = m01.pages("es")
    assert lang == "es" and [p.title for p in pages] == ["Introducción", "Detalles", "En la práctica"]
    pages, lang = m01.pages("fr")
    assert lang == "en" and [p.id for p in pages] == ["intro", "details", "in-practice"]
    assert [p.index for p in pages] == [0, 1, 2]
    page, lang = m01.page("details", "es-MX")
    assert page is not None and page.title == "Detalles" and lang == "es"
    assert m01.page("nope", "en") == (None, "en")


def test_language_tags_are_normalised():
    # Moodle sends its own codes (es_mx, pt_br); LTI platforms usually send BCP 47 tags
    assert [normalize_lang(t) for t in ("es-419", "es_mx", "fr_CA", "EN", "pt_br", "", None)] == [
        "es", "es", "fr", "en", "en", "en", "en"]


def test_links_rewritten_to_relative_urls(catalogue):
    html = catalogue.get("m01").pages("en")[0][0].html
    assert '<a href="details">the details</a>' in html
    assert '<a href="../../m02/">module two</a>' in html
    assert '<a href="in-practice#what-to-do">' in html
    # external links open a new tab (sites refuse to be framed in the LMS), and say so to screen readers
    assert ('<a href="https://example.org/one" target="_blank" rel="noopener noreferrer">'
            in html)
    assert '<span class="sr-only"> (opens in a new tab)</span></a>' in html
    assert 'href="details" target' not in html  # links inside the module stay in the frame
    assert "page:" not in html and "module:" not in html
    assert "<table>" in html and "<td>The first idea</td>" in html


def test_headings_get_unique_ids_and_words_are_counted(catalogue):
    page = catalogue.get("m01").pages("en")[0][1]
    assert '<h2 id="second-idea">' in page.html and '<h2 id="second-idea-2">' in page.html
    assert page.word_count == 19


def test_raw_html_is_escaped_and_reported():
    rendered = render_markdown('Hi <script>alert("x")</script> and\n\n<div onclick="x">block</div>\n')
    assert "<script>" not in rendered.html and "<div" not in rendered.html
    assert "&lt;script&gt;" in rendered.html and "&lt;div onclick=" in rendered.html
    assert [line for line, _ in rendered.problems] == [1, 3]


def test_unsafe_link_schemes_never_become_links():
    rendered = render_markdown("[x](javascript:alert(1)) [y](data:text/html,hi)")
    assert "href" not in rendered.html


def test_quiz_in_language_keeps_english_structure(catalogue):
    m01 = catalogue.get("m01")
    en, es, fr = m01.quiz("en"), m01.quiz("es"), m01.quiz("fr")
    assert (en.lang, es.lang, fr.lang) == ("en", "es", "en")
    assert m01.quiz_languages == ("en", "es")
    assert [q.id for q in es.questions] == [q.id for q in en.questions]
    assert es.question("q01").prompt.startswith("¿De qué color")
    assert [(o.id, o.correct) for o in es.question("q01").options] == [
        (o.id, o.correct) for o in en.question("q01").options]
    assert es.question("q03").feedback_true == "Correcto." and es.question("q03").answer is True
    assert en.question("q02").points == 2 and en.question("q05").type is QuestionType.ORDERING
    assert en.size == 10 and en.shuffle is True


def test_invalid_content_raises_with_the_check_problems(broken):
    with pytest.raises(ContentInvalid) as info:
        load_catalogue(broken)
    assert info.value.problems == check_modules(broken)
    assert "m01/module.yaml:6: unknown field 'colour'" in str(info.value)


def test_the_new_tab_note_is_in_the_pages_language():
    from lti_tool.content.render import new_tab_note, render_markdown

    html = render_markdown("See [IOM](https://www.iom.int).", new_tab_note=new_tab_note("es")).html
    assert '<span class="sr-only"> (se abre en una pestaña nueva)</span></a>' in html
    assert new_tab_note("fr") == "(s’ouvre dans un nouvel onglet)"


def test_further_reading_shows_an_official_edition_in_its_language():
    from lti_tool.content.schema import Reading

    reading = Reading.model_validate({
        "title": "Global Compact", "url": "https://undocs.org/A/RES/73/195",
        "es": {"title": "Pacto Mundial", "url": "https://undocs.org/es/A/RES/73/195"},
        "fr": {"title": "Pacte mondial"}})
    assert reading.edition("es") == ("Pacto Mundial", "https://undocs.org/es/A/RES/73/195", "es")
    assert reading.edition("fr") == ("Pacte mondial", "https://undocs.org/A/RES/73/195", "fr")  # same address
    assert reading.edition("en") == ("Global Compact", "https://undocs.org/A/RES/73/195", "en")
    assert Reading.model_validate({"title": "Only English", "url": "https://x.org"}).edition("es")[2] == "en"
