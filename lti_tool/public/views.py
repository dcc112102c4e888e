"""The tool's front door (health and readiness are in monitoring/)."""
from __future__ import annotations

from flask import Blueprint, render_template

from ..runtime import runtime

bp = Blueprint("public", __name__)


@bp.get("/")
def index() -> str:
    """What this tool is, for someone who opens its URL directly."""
    return render_template("public/index.html", catalogue=runtime().catalogue)

