"""Learner forms: every one carries the launch-bound CSRF token (no cookie needed in an iframe)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, Length, Optional, Regexp

from ..forms import LaunchForm
from .services import LANGUAGE_NAMES


AGENCY_PATTERN = r"^[^\W_][\w .,'\u2019&()/-]*$"


class _LearnerForm(LaunchForm):
    """Our forms show their own messages: skip loading WTForms' catalogues (about 1 ms a request)."""

    class Meta(LaunchForm.Meta):
        def get_translations(self, form):
            return None


class LanguageForm(_LearnerForm):
    """The learner's choice of interface language, kept on their participant row."""

    #: rendered by hand (each option carries its own `lang`), so a plain field with a choice check
    locale = StringField(_l("Language"), validators=[AnyOf(list(LANGUAGE_NAMES))])
    #: the page to go back to (checked: only a page of this launch)
    next = HiddenField()


class ReadForm(_LearnerForm):
    """"Next" at the end of a page (or the page's script, when the learner scrolled to its end)."""

    #: where to go once the page is counted read: the next page, the quiz, or the overview
    go = HiddenField(validators=[Optional(), AnyOf(["next", "quiz", "overview"])])
    #: "script" when sent by reading.js: answered with JSON instead of a redirect
    via = HiddenField(validators=[Optional(), AnyOf(["script"])])


class QuizForm(_LearnerForm):
    """The fixed part of a quiz form; the answers (`q-…` fields) are read by the quiz engine."""

    #: the attempt's idempotency key: a second POST of the same form shows the same result
    attempt = HiddenField()
    #: "1" once the learner was told some questions are unanswered and submits anyway
    confirm_unanswered = HiddenField()


class AboutYouForm(_LearnerForm):
    """The country (and agency) a learner's completions count for, asked once when the LMS did not say."""

    country = SelectField(_l("Country you work for"), default="")
    #: asked only when the LMS gives no agency; letters, digits, spaces and a little punctuation, so no
    #: value can start a spreadsheet formula or carry control characters into an export
    agency = StringField(_l("Ministry, department or agency (optional)"), validators=[
        Optional(), Length(max=120, message=_l("The agency can be at most 120 characters long.")),
        Regexp(AGENCY_PATTERN, message=_l("For the agency, use letters, digits, spaces and . , ' & ( ) / - "
                                          "only, starting with a letter or a digit."))])
    #: the page to go on to (checked: only a page of this launch)
    next = HiddenField()

    def __init__(self, *args, **kwargs):
        from ..countries import country_choices

        super().__init__(*args, **kwargs)
        self.country.choices = [SelectChoice("", _l("I prefer not to say"))] + [
            SelectChoice(code, name) for code, name in country_choices()]
