"""Fault tests: real `emm-lti serve` and `emm-lti worker` processes on PostgreSQL, with faults injected.

Collected only when EMM_TEST_DATABASE_URL is set (the Redis test also needs EMM_TEST_REDIS_URL and
`redis-server`), as the suite does for its PostgreSQL backend: no test here is ever skipped.
"""
import os

collect_ignore_glob = [] if os.environ.get("EMM_TEST_DATABASE_URL") else ["test_*.py"]
if not os.environ.get("EMM_TEST_REDIS_URL"):
    collect_ignore_glob.append("test_redis_down.py")
