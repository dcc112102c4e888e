"""gunicorn settings for emm-lti, for operators who start gunicorn themselves:

    emm-lti init                                    # migrate the schema, make the first signing key
    gunicorn -c config/gunicorn.conf.py             # 127.0.0.1:8000, 2 worker processes x 4 threads
    gunicorn -c config/gunicorn.conf.py --bind 127.0.0.1:8000 --workers 4

`emm-lti serve` runs gunicorn with exactly these settings (a test compares them). Neither migrates the
schema: both refuse to start, naming the command, until `emm-lti init` (or `emm-lti db upgrade`) has
brought it up to date. Command-line options override the values below. The EMM_* settings are read
and checked by lti_tool.config.Settings, as for every other command: a malformed one stops start-up
with a message naming it.
"""
from lti_tool.config import Settings
from lti_tool.logs import configure_logging
from lti_tool.server import child_exit, post_worker_init, prepare_metrics_dir, settings_options, startup_problem

_settings = Settings.from_env()
configure_logging(_settings.log_level, _settings.log_format)
_problem = startup_problem(_settings)
if _problem:
    raise SystemExit(f"emm-lti: {_problem}")
prepare_metrics_dir(_settings)  # EMM_METRICS: a folder for the workers' counters, before any worker starts

wsgi_app = "lti_tool.wsgi:app"
bind = ["127.0.0.1:8000"]  # behind the reverse proxy; never expose gunicorn itself
workers = 2                # processes: about one per core
threads = 4                # per process (gthread): pages wait on the database, not the CPU
worker_class = "gthread"
timeout = 30               # a worker silent this long is killed and replaced
graceful_timeout = 20      # on SIGTERM or HUP, requests in flight get this long to finish
keepalive = 5
# a request line or header this long is not an LTI request (the proxy should refuse it first)
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# from the EMM_* settings: EMM_ACCESS_LOG, EMM_LOG_LEVEL, EMM_LOG_FORMAT, EMM_FORWARDED_ALLOW_IPS
_options = settings_options(_settings)
accesslog = _options["accesslog"]
access_log_format = _options["access_log_format"]
errorlog = _options["errorlog"]
loglevel = _options["loglevel"]
logger_class = _options["logger_class"]
forwarded_allow_ips = _options["forwarded_allow_ips"]

# hooks: post_worker_init starts the embedded grade worker (EMM_EMBEDDED_WORKER); child_exit keeps the
# metrics of a worker that exited out of the live figures
__all__ = ["child_exit", "post_worker_init"]
