"""Demo LMS: a small LTI 1.3 Advantage platform on loopback, shaped like Moodle 4.5.

It lets a newcomer click through learner, facilitator and gradebook without installing Moodle, and lets
the end-to-end tests drive the real tool over real HTTP. Its course, grades, tokens and switches live in
memory only: restarting the demo LMS resets its gradebook. Only the platform's private key is kept, in
`state_dir`, so a registered tool keeps trusting it across restarts.

    from lti_tool.demo_lms import create_demo_lms, DemoLmsConfig
    app = create_demo_lms(DemoLmsConfig(base_url=..., tool_base_url=..., state_dir=...))
    app.extensions["demo_lms"].registration_values()
"""
from __future__ import annotations

from .app import create_demo_lms
from .config import DemoLmsConfig, DemoLmsConfigError
from .course import DEFAULT_PLACEMENTS, PlacementSeed
from .extension import DemoLms, LaunchRefused

__all__ = [
    "DEFAULT_PLACEMENTS",
    "DemoLms",
    "DemoLmsConfig",
    "DemoLmsConfigError",
    "LaunchRefused",
    "PlacementSeed",
    "create_demo_lms",
]
