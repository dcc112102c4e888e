"""The WSGI entry point for servers started by hand: `gunicorn -c config/gunicorn.conf.py` loads
`lti_tool.wsgi:app`. Settings come from EMM_* variables; the schema must be migrated first
(`emm-lti init`): config/gunicorn.conf.py refuses to start otherwise, as `emm-lti serve` does."""
from .app import create_app

app = create_app()
