"""The app's own settings, plus the floor rows' routes (bench.floor). Only the bench uses it."""

from todo_site.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor"
