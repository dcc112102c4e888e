"""The tool's front door and the load balancer's health check."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from sqlalchemy import text

from ..extensions import db
from ..runtime import runtime

bp = Blueprint("public", __name__)


@bp.get("/")
def index() -> str:
    """What this tool is, for someone who opens its URL directly."""
    return render_template("public/index.html", catalogue=runtime().catalogue)


@bp.get("/healthz")
def healthz():
    """Ready when the database answers."""
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")
