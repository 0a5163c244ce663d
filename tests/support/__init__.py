"""Helpers for the reliability tests: a TCP proxy that can cut the database, a gunicorn server."""
