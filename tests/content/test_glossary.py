"""The glossary file: its schema errors (file and line), the variant warnings on translated files,
first-use term links in rendered pages, and the shipped termbase's coverage of the key terms.

The variant and linking tests use the fixture modules plus a small glossary of their own, never
the shipped curriculum (whose pages change with every content edit).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from lti_tool.content import check_modules, load_catalogue
from lti_tool.content.cli import modules_cli
from lti_tool.content.glossary import GLOSSARY_FILE, read_glossary, sort_key
from lti_tool.content.loader import load_modules
from lti_tool.content.render import render_markdown
from lti_tool.paths import modules_dir

GLOSSARY = """\
terms:
  - id: migrant
    modules: [m01]
    en:
      term: migrant
      forms: [migrants]
      definition: A person who moves away from their usual place of residence.
    es:
      term: migrante
      forms: [migrantes]
      definition: Persona que deja su lugar de residencia habitual.
    fr:
      term: migrant
      forms: [migrants]
      definition: Personne qui quitte son lieu de résidence habituelle.
  - id: migrant-irregular-situation
    modules: [m01, m02]
    see: [migrant]
    en:
      term: migrant in an irregular situation
      avoid: [illegal migrant]
      definition: A person without authorization to enter or stay under the law of the country.
    es:
      term: migrante en situación irregular
      forms: [migrantes en situación irregular]
      avoid: [migrante irregular, migrante ilegal, migrantes ilegales]
      definition: Persona sin autorización para entrar o permanecer según la ley del país.
    fr:
      term: migrant en situation irrégulière
      avoid: [migrant illégal, migrants illégaux]
      definition: Personne sans autorisation d'entrer ou de séjourner selon la loi du pays.
  - id: integration
    modules: [m01]
    link_in: [m01]
    en:
      term: integration
      exclude: [regional integration]
      definition: A two-way process of mutual adaptation.
    es:
      term: integración
      definition: Proceso de adaptación mutua.
    fr:
      term: intégration
      definition: Processus d'adaptation mutuelle.
  - id: return
    modules: [m01]
    en:
      term: return
      match: [returnee, returnees]
      definition: Going back to the country of origin.
    es:
      term: retorno
      match: [retornado, retornados]
      definition: Volver al país de origen.
    fr:
      term: retour
      match: [migrant de retour]
      definition: Fait de revenir dans le pays d'origine.
  - id: gcm
    modules: [m02]
    en:
      term: Global Compact for Safe, Orderly and Regular Migration
      abbr: GCM
      definition: A non-binding framework adopted in 2018.
    es:
      term: Pacto Mundial para la Migración Segura, Ordenada y Regular
      avoid: [Pacto Mundial para una Migración]
      definition: Marco no vinculante aprobado en 2018.
    fr:
      term: Pacte mondial pour des migrations sûres, ordonnées et régulières
      avoid: [Pacte mondial pour une migration]
      definition: Cadre non contraignant adopté en 2018.
"""


@pytest.fixture
def glossary(write) -> Path:
    return write(GLOSSARY_FILE, GLOSSARY)


def problems_in(write, text: str) -> list[tuple[int, str]]:
    write(GLOSSARY_FILE, text)
    return [(p.line, p.message) for p in check_modules(write.root) if p.file.name == GLOSSARY_FILE]


# -- the schema and the rules, each named with its line --------------------------------------------

def test_the_fixture_glossary_is_valid(write, glossary) -> None:
    assert write.problems() == []
    found, problems = read_glossary(write.root, {"m01", "m02"})
    assert problems == [] and found is not None and len(found) == 5


def test_unknown_field_missing_definition_and_bad_abbreviation_are_located(write) -> None:
    text = GLOSSARY.replace("      forms: [migrants]\n      definition: A person who moves",
                            "      form: [migrants]\n      definition: A person who moves", 1)
    text = text.replace("      definition: Persona que deja su lugar de residencia habitual.\n", "", 1)
    text = text.replace("abbr: GCM", "abbr: G C M")
    lines = text.splitlines()
    found = problems_in(write, text)
    assert (lines.index("      form: [migrants]") + 1, "terms[0].en: unknown field 'form'") in found
    es_line = next(i for i, line in enumerate(lines, 1) if line == "      term: migrante")
    assert (es_line - 1, "terms[0].es: missing required field 'definition'") in found
    abbr_line = next(i for i, line in enumerate(lines, 1) if "abbr: G C M" in line)
    assert (abbr_line, "terms[4].en.abbr: invalid value 'G C M': an abbreviation is 2 to 12 letters, "
                       "digits or dots, starting with a letter") in found


def test_cross_entry_rules_name_the_line(write) -> None:
    text = (GLOSSARY
            .replace("  - id: integration\n    modules: [m01]", "  - id: migrant\n    modules: [m01, m77]")
            .replace("    see: [migrant]", "    see: [migrants]")
            .replace("      term: retorno", "      term: migrantes")
            .replace("      avoid: [migrant illégal, migrants illégaux]", "      avoid: [migrant illégal, migrants]"))
    lines = text.splitlines()

    def line_of(fragment: str, after: int = 0) -> int:
        return next(i for i, line in enumerate(lines, 1) if i > after and fragment in line)

    found = problems_in(write, text)
    first, duplicate = [i for i, line in enumerate(lines, 1) if line == "  - id: migrant"]
    assert (duplicate, f"terms[2].id: duplicate id 'migrant' (also line {first})") in found
    assert (duplicate + 1, "terms[2].modules[1]: no module 'm77' in this folder") in found
    assert (line_of("see: [migrants]"), "terms[1].see[0]: no entry with id 'migrants'") in found
    assert (line_of("term: migrantes"), f"terms[3].es.term: 'migrantes' is also an es form of 'migrant' "
                                        f"(line {line_of('forms: [migrantes]')}): one phrase, one entry") in found
    assert (line_of("avoid: [migrant illégal, migrants]"),
            "terms[1].fr.avoid[1]: 'migrants' is a preferred fr form of 'migrant'") in found


def test_a_definition_is_one_or_two_sentences(write) -> None:
    long = " ".join(["Officials read this sentence again and again."] * 12)
    text = GLOSSARY.replace("Proceso de adaptación mutua.", long)
    line = next(i for i, l in enumerate(text.splitlines(), 1) if long in l)
    assert problems_in(write, text) == [(line, f"terms[2].es.definition: too long: {len(long)} characters "
                                               f"(at most 480)")]


def test_yaml_errors_and_an_empty_file_are_located(write) -> None:
    ((line, message),) = problems_in(write, "terms:\n  - id: [unclosed\n")
    assert line == 3 and message.startswith("YAML syntax error: ")
    assert message.endswith("(while parsing a flow sequence started on line 2)")
    assert problems_in(write, "") == [(1, "expected a mapping of fields, got empty")]


def test_check_command_reports_glossary_errors_and_exits_2(write, glossary) -> None:
    glossary.write_text(GLOSSARY.replace("modules: [m02]", "modules: [m09]"), encoding="utf-8")
    result = CliRunner().invoke(modules_cli, ["check", "--path", str(write.root)])
    assert result.exit_code == 2, result.output
    assert re.search(r"glossary\.yaml:\d+: terms\[4\]\.modules\[0\]: no module 'm09' in this folder", result.output)


def test_a_broken_glossary_keeps_the_app_from_serving_it(write) -> None:
    write(GLOSSARY_FILE, GLOSSARY.replace("id: gcm", "id: GCM"))
    from lti_tool.content import ContentInvalid

    with pytest.raises(ContentInvalid, match=r"glossary\.yaml:\d+: terms\[4\]\.id: invalid value 'GCM'"):
        load_catalogue(write.root)


# -- non-preferred variants in translated files ----------------------------------------------------

def test_variants_in_translated_pages_quizzes_and_fields_are_warned_with_their_line(write, glossary) -> None:
    write("m01/pages/es/02-details.md", """\
        ---
        id: details
        title: Detalles
        ---

        ## Segunda idea

        Un migrante irregular no es un delito. Se recomienda no decir "migrante ilegal"
        ni «migrantes ilegales»: son palabras que se citan para evitarlas.
        El Pacto Mundial para una
        Migración Segura, Ordenada y Regular se aprobó en 2018.
        """)
    quiz = write.root / "m01/quiz/es.yaml"
    text = quiz.read_text(encoding="utf-8")
    first_prompt = next(line for line in text.splitlines() if "prompt:" in line)
    quiz.write_text(text.replace(first_prompt, first_prompt.split("prompt:")[0]
                                 + 'prompt: "¿Qué hace un migrante irregular en la frontera?"', 1), encoding="utf-8")
    meta = write.root / "m01/module.yaml"
    meta_text = meta.read_text(encoding="utf-8")
    meta.write_text(meta_text.replace("Módulo de prueba uno", "Migrante ilegal, módulo de prueba", 1),
                    encoding="utf-8")
    # English pages quote the words they teach people to avoid: never checked
    write("m01/pages/en/02-details.md", """\
        ---
        id: details
        title: Details
        ---

        ## Second idea

        An illegal migrant is not a thing: say migrant in an irregular situation.
        """)

    loaded = load_modules(write.root)
    assert loaded.problems == []
    warned = sorted((w.file.relative_to(write.root).as_posix(), w.line, w.message)
                    for w in loaded.warnings if "glossary:" in w.message)
    quiz_line = quiz.read_text(encoding="utf-8").splitlines().index(
        next(line for line in quiz.read_text(encoding="utf-8").splitlines() if "migrante irregular" in line)) + 1
    meta_line = next(i for i, line in enumerate(meta.read_text(encoding="utf-8").splitlines(), 1)
                     if "Migrante ilegal" in line)
    assert warned == sorted([
        ("m01/pages/es/02-details.md", 8, '"migrante irregular": write "migrante en situación irregular" '
                                          '(glossary: migrant-irregular-situation)'),
        ("m01/pages/es/02-details.md", 10, '"Pacto Mundial para una Migración": write "Pacto Mundial para la '
                                           'Migración Segura, Ordenada y Regular" (glossary: gcm)'),
        ("m01/quiz/es.yaml", quiz_line, '"migrante irregular": write "migrante en situación irregular" '
                                        '(glossary: migrant-irregular-situation)'),
        ("m01/module.yaml", meta_line, '"Migrante ilegal": write "migrante en situación irregular" '
                                       '(glossary: migrant-irregular-situation)'),
    ])
    assert all(w.warning for w in loaded.warnings)


def test_a_variant_inside_a_longer_preferred_form_is_not_reported(write, glossary) -> None:
    write("m01/pages/es/02-details.md", """\
        ---
        id: details
        title: Detalles
        ---

        Los migrantes en situación irregular tienen derechos; cada migrante en situación irregular también.
        """)
    assert [w for w in load_modules(write.root).warnings if "glossary:" in w.message] == []


def test_variant_warnings_fail_a_strict_check(write, glossary) -> None:
    write("m01/pages/es/03-in-practice.md", """\
        ---
        id: in-practice
        title: En la práctica
        ---

        ## Qué hacer

        Hable de migrante en situación irregular, nunca de migrante ilegal.
        Vuelva a [la introducción](page:intro).
        """)
    result = CliRunner().invoke(modules_cli, ["check", "--strict", "--path", str(write.root)])
    assert result.exit_code == 2, result.output
    assert ('03-in-practice.md:8: warning: "migrante ilegal": write "migrante en situación irregular" '
            '(glossary: migrant-irregular-situation)') in result.output


# -- first use of a term, linked -------------------------------------------------------------------

def page_html(root: Path, module: str, page: str, lang: str = "en") -> str:
    catalogue = load_catalogue(root)
    found, used = catalogue.get(module).page(page, lang)
    assert used == lang
    return found.html


def term_links(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<a href="\.\./\.\./\.\./glossary/(\w\w#[\w-]+)" class="term">(.*?)<span class="sr-only">',
                      html, re.DOTALL)


def test_first_use_of_each_term_links_once_outside_headings_and_links(write, glossary) -> None:
    write("m01/pages/en/02-details.md", """\
        ---
        id: details
        title: Details for migrants
        ---

        ## Migrants and integration

        [Migrants](https://example.org/migrants) are people who move. A migrant
        in an irregular situation has rights; migrants do too, and so does every
        migrant. Regional integration is not the same as integration, and `integration`
        in code is not a use. The GCM says so; returnees and a return are different things.

        | Migrant | Note |
        | --- | --- |
        | migrant | yes |
        """)
    html = page_html(write.root, "m01", "details")
    assert term_links(html) == [
        ("en#migrant-irregular-situation", "migrant\nin an irregular situation"),
        ("en#migrant", "migrants"),
        ("en#integration", "integration"),
        ("en#gcm", "GCM"),
        ("en#return", "returnees"),
    ]
    assert '<h2 id="migrants-and-integration">Migrants and integration</h2>' in html
    assert '<a href="https://example.org/migrants" target="_blank" rel="noopener noreferrer">Migrants<span' in html
    assert "<th>Migrant</th>" in html
    assert "Regional integration is not the same" in html
    assert "<code>integration</code>" in html
    assert html.count("(see the glossary)") == 5


def test_links_follow_the_page_language_and_link_in(write, glossary) -> None:
    write("m01/pages/es/02-details.md", """\
        ---
        id: details
        title: Detalles
        ---

        Los migrantes y un retornado; la integración también.
        """)
    html = page_html(write.root, "m01", "details", "es")
    assert term_links(html) == [("es#migrant", "migrantes"), ("es#return", "retornado"),
                                ("es#integration", "integración")]
    assert '<span class="sr-only"> (ver el glosario)</span>' in html
    # "integration" links only in m01 (its link_in): a page of m02 renders it as plain text
    glossary = load_modules(write.root).glossary
    m02 = render_markdown("A migrant and integration.", terms=glossary.linker("en", "m02")).html
    assert term_links(m02) == [("en#migrant", "migrant")]
    fr = render_markdown("Un migrant de retour.", terms=glossary.linker("fr", "m01")).html
    assert term_links(fr) == [("fr#return", "migrant de retour")]
    assert "(voir le glossaire)" in fr


def test_without_a_glossary_pages_have_no_term_links(write) -> None:
    html = page_html(write.root, "m01", "details")
    assert "glossary" not in html


# -- the shipped termbase ----------------------------------------------------------------------------

#: the key terms the curriculum's translators and learners need (the brief), by an English form each
REQUIRED = [
    "migrant", "emigrant", "immigrant", "internal migration", "international migration", "migrant stock",
    "migration flow", "irregular migration", "migrant in an irregular situation", "refugee", "asylum seeker",
    "internally displaced person", "stateless person", "non-refoulement", "trafficking in persons",
    "migrant smuggling", "smuggled migrant", "victim of trafficking", "migrant worker", "fair recruitment",
    "ethical recruitment", "recruitment fees", "decent work", "diaspora", "remittances", "brain drain",
    "brain gain", "brain waste", "circular migration", "return", "AVRR", "reintegration", "integration",
    "social cohesion", "assimilation", "xenophobia", "whole-of-government approach", "whole-of-society approach",
    "gender-responsive", "gender-based violence", "disaster displacement", "durable solutions", "evacuation",
    "planned relocation", "border management", "integrated border management", "advance passenger information",
    "biometrics", "free movement", "CARICOM", "OECS", "CSME", "CARICOM Skills Certificate", "policy cycle",
    "indicator", "monitoring", "evaluation", "evidence-based policy", "disaggregated data", "GCM", "MiGOF",
    "SDG target 10.7",
]

#: preferred forms that must follow the official UN and IOM texts word for word
OFFICIAL = {
    "gcm": {"es": "Pacto Mundial para la Migración Segura, Ordenada y Regular",
            "fr": "Pacte mondial pour des migrations sûres, ordonnées et régulières"},
    "whole-of-government": {"es": "enfoque pangubernamental",
                            "fr": "approche mobilisant l'ensemble des pouvoirs publics"},
    "whole-of-society": {"es": "enfoque pansocial", "fr": "approche mobilisant l'ensemble de la société"},
    "gender-responsive": {"es": "con perspectiva de género"},
    "migrant-irregular-situation": {"es": "migrante en situación irregular",
                                    "fr": "migrant en situation irrégulière"},
    "trafficking-in-persons": {"es": "trata de personas", "fr": "traite des personnes"},
    "migrant-smuggling": {"es": "tráfico ilícito de migrantes", "fr": "trafic illicite de migrants"},
    "migrant-stock": {"es": "población migrante (stock)"},
}

#: variants translators might write, which `modules check` must catch
AVOIDED = {
    "es": ["Pacto Mundial para una Migración", "migrante irregular", "contrabando de migrantes",
           "tráfico de personas", "sensible al género", "stock de migrantes", "organismo rector"],
    "fr": ["migrant illégal", "passeur de migrants", "trafic de personnes", "réfugié climatique"],
}


@pytest.fixture(scope="module")
def shipped():
    found, problems = read_glossary(modules_dir(), {p.name for p in modules_dir().iterdir() if p.is_dir()},
                                    thorough=True)
    assert problems == [], "\n".join(map(str, problems))
    return found


def test_the_shipped_glossary_covers_the_key_terms_in_three_languages(shipped) -> None:
    data = yaml.safe_load((modules_dir() / GLOSSARY_FILE).read_text(encoding="utf-8"))
    english = {}
    for term in data["terms"]:
        for form in [term["en"]["term"], *term["en"].get("forms", []), *term["en"].get("match", []),
                     term["en"].get("abbr") or ""]:
            english[form.casefold()] = term["id"]
    missing = [t for t in REQUIRED if t.casefold() not in english]
    assert missing == []
    for required in REQUIRED:
        entry = shipped.get(english[required.casefold()])
        for lang in ("en", "es", "fr"):
            text = entry.text(lang)
            assert text.term and len(text.definition) > 40, (required, lang)
    assert 50 <= len(shipped) <= 90


def test_the_shipped_glossary_uses_the_official_forms_and_catches_the_usual_variants(shipped) -> None:
    for term_id, forms in OFFICIAL.items():
        for lang, official in forms.items():
            assert shipped.get(term_id).text(lang).term == official, (term_id, lang)
    for lang, variants in AVOIDED.items():
        for variant in variants:
            warned = shipped.variant_warnings(Path("x.md"), f"Texto con {variant} dentro.", lang)
            assert len(warned) == 1, (lang, variant)


def test_shipped_definitions_differ_between_languages_and_entries(shipped) -> None:
    # a definition copied into the wrong language, or pasted twice, is a translator's trap
    for lang in ("en", "es", "fr"):
        definitions = [e.text(lang).definition for e in shipped]
        assert len(set(definitions)) == len(definitions), lang
    for entry in shipped:
        assert entry.text("en").definition != entry.text("es").definition != entry.text("fr").definition


def test_the_shipped_glossary_reads_alike_with_both_yaml_parsers() -> None:
    text = (modules_dir() / GLOSSARY_FILE).read_text(encoding="utf-8")
    assert yaml.load(text, Loader=yaml.SafeLoader) == yaml.load(text, Loader=yaml.CSafeLoader)


def test_alphabetical_order_follows_each_language() -> None:
    assert sorted(["ñandú", "nube", "oso", "Ébano", "árbol"], key=lambda w: sort_key(w, "es")) == [
        "árbol", "Ébano", "nube", "ñandú", "oso"]
    assert sorted(["évaluation", "Étranger", "emigration", "zèbre"], key=lambda w: sort_key(w, "fr")) == [
        "emigration", "Étranger", "évaluation", "zèbre"]


def test_shipped_letters_group_every_entry_once(shipped) -> None:
    for lang in ("en", "es", "fr"):
        letters = shipped.letters(lang)
        ids = [e.id for letter in letters for e in letter.entries]
        assert sorted(ids) == sorted(e.id for e in shipped)
        assert [l.letter for l in letters] == sorted({l.letter for l in letters}, key=lambda c: sort_key(c, lang))
        assert len({l.anchor for l in letters}) == len(letters)
