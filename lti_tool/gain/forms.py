"""Forms of the knowledge checks and of the course's choices about them."""
from __future__ import annotations

from wtforms import BooleanField, HiddenField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, Optional

from ..forms import LaunchForm
from .models import WHOLE_COURSE


class CheckForm(LaunchForm):
    """The check's answers are read by `checks.submit`; this carries the token and the choice."""

    action = HiddenField(validators=[Optional(), AnyOf(["submit", "skip"])])
    next = HiddenField()

    class Meta(LaunchForm.Meta):
        def get_translations(self, form):  # type: ignore[no-untyped-def]
            return None


class CourseOptionsForm(LaunchForm):
    knowledge_checks = BooleanField()
    certificate_scope = SelectField(choices=[SelectChoice(WHOLE_COURSE), SelectChoice("module")])
