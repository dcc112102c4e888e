"""Platforms (LMS registrations) and their deployments."""
