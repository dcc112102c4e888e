"""Gain tests: a course on a test platform (its own issuer per test), learners launched over HTTP."""
