"""Facilitator forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..countries import country_choices
from ..forms import LaunchForm


class DeepLinkForm(LaunchForm):
    """Which modules to add to the course, for which country, with a grade column or not."""

    modules = SelectMultipleField(
        _l("Modules"), widget=ListWidget(prefix_label=False), option_widget=CheckboxInput()
    )
    country = SelectField(_l("Country of the participants (optional)"), default="")
    graded = BooleanField(_l("Create a grade column for each module"), default=True)

    def __init__(self, catalogue, lang: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.modules.choices = [SelectChoice(m.id, m.title(lang).text) for m in catalogue.modules]
        self.country.choices = [SelectChoice("", _l("Not set: use each participant's LMS profile"))] + [
            SelectChoice(code, name) for code, name in country_choices()]


class ResendForm(LaunchForm):
    """Send one score again, or every failed one in the course."""

    delivery_id = IntegerField(validators=[Optional()])
    scope = SelectField(choices=[SelectChoice("one"), SelectChoice("failed"), SelectChoice("all")], default="one")


class GrantForm(LaunchForm):
    """More quiz attempts for one learner in one module: one more, or the module's number again."""

    module = HiddenField(validators=[DataRequired()])
    kind = SelectField(choices=[SelectChoice("extra"), SelectChoice("reset")], default="extra")
    reason = StringField(_l("Reason (shown to the learner)"), validators=[Optional(), Length(max=500)])
    #: where to go back to: the learner's page, the course overview or the module's class
    back = HiddenField(validators=[Optional(), AnyOf(["learner", "dashboard", "class"])])


class QuizControlForm(LaunchForm):
    """Open or close a module's quiz for the group, set its time limit or give everyone more time."""

    action = SelectField(choices=[SelectChoice("open"), SelectChoice("close"), SelectChoice("limit"),
                                  SelectChoice("extend")])
    minutes = IntegerField(validators=[Optional()])
    back = SelectField(choices=[SelectChoice("session"), SelectChoice("class")], default="session")
    page = StringField(validators=[Optional(), Length(max=64)])
