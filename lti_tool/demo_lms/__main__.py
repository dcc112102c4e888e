"""Run the demo LMS alone for a quick look: python -m lti_tool.demo_lms [--tool-url ...]."""
from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import urlsplit

import click
from werkzeug.serving import run_simple

from .app import create_demo_lms
from .config import DemoLmsConfig, DemoLmsConfigError


@click.command()
@click.option("--base-url", default="http://127.0.0.1:5001", show_default=True, help="Loopback origin of the demo LMS.")
@click.option("--tool-url", default="http://127.0.0.1:5000", show_default=True, help="Origin of the EMM2.0 tool.")
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("instance/demo_lms"),
    show_default=True,
    help="Folder for the platform key (the only state kept across restarts).",
)
@click.option("--client-id", default="emm-lti-demo", show_default=True)
@click.option("--moodle-mode", is_flag=True, help="Send no lti_storage_target by default, as Moodle does.")
def main(base_url: str, tool_url: str, state_dir: Path, client_id: str, moodle_mode: bool) -> None:
    """Serve the demo LMS on its loopback base URL and show the values the tool must register."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        cfg = DemoLmsConfig(
            base_url=base_url,
            tool_base_url=tool_url,
            state_dir=state_dir,
            client_id=client_id,
            platform_storage=not moodle_mode,
        )
    except DemoLmsConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    parts = urlsplit(cfg.base_url)
    if parts.scheme != "http":
        raise click.UsageError("the standalone runner serves plain http on loopback; use an http:// base URL")
    app = create_demo_lms(cfg)
    click.echo("Register this platform in the tool:")
    click.echo(json.dumps(app.extensions["demo_lms"].registration_values(), indent=2))
    click.echo(f"Course page: {cfg.base_url}/  (restarting resets the gradebook)")
    run_simple(parts.hostname or "127.0.0.1", parts.port or 80, app, threaded=True)


if __name__ == "__main__":
    main()
