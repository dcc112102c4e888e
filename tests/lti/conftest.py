"""LTI tests use the `platform` and `launcher` fixtures of tests/conftest.py (shared with the learner tests)."""
