"""Import every model so SQLAlchemy's metadata (and Alembic's autogenerate) sees the whole schema."""
from .courses.course_modules import CourseModule  # noqa: F401
from .courses.models import Completion, Course, Enrolment, Participant, Placement  # noqa: F401
from .grades.models import GradeDelivery  # noqa: F401
from .lms.models import AccessToken  # noqa: F401
from .keys.models import ToolKey  # noqa: F401
from .lti.models import Launch, UsedNonce  # noqa: F401
from .platforms.models import Deployment, Platform  # noqa: F401
from .progress.models import Attempt, AttemptGrant, Progress  # noqa: F401
