"""The project's settings, with STATIC_ROOT taken from DJANGO_STATIC_ROOT for a test server.

``todo_site.settings`` pins STATIC_ROOT to the checkout's ``staticfiles/``; a test server collects
into a temporary folder instead, so it never races another process over that shared folder.
"""

import os
from pathlib import Path

from todo_site.settings import *  # noqa: F403

STATIC_ROOT = Path(os.environ["DJANGO_STATIC_ROOT"])
