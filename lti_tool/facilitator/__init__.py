"""Facilitator pages: the module catalogue, deep linking, live progress."""
