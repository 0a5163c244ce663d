"""The WSGI module that gunicorn imports once in its master before forking the workers: what a
worker's first request would otherwise do is done there, once (todo_site/wsgi.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.support.live import REPO_ROOT, clean_env, collected_static_root

# Run in a fresh interpreter, as gunicorn's master does: import the module, then report what a
# forked worker would inherit.
PROBE = """
import gc
import json
import sys
import todo_site.wsgi
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template import engines
from django.urls import get_resolver
loader = engines["django"].engine.template_loaders[0]
print(json.dumps({
    "templates": sorted(loader.get_template_cache),
    "urls_reversible": bool(get_resolver()._reverse_dict),
    "manifest_loaded": bool(staticfiles_storage.hashed_files),
    "redis_imported": "redis" in sys.modules,
    "memory_cache_imported": "todo_site.cache" in sys.modules,
    "objects_frozen": gc.get_freeze_count(),
}))
"""


def _prepared(**settings: str) -> dict[str, Any]:
    env = clean_env(
        DJANGO_SETTINGS_MODULE="todo_site.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="wsgi-probe-only",
        DJANGO_STATIC_ROOT=str(collected_static_root()),
        **settings,
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    prepared: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return prepared


def test_importing_the_wsgi_module_prepares_templates_urls_cache_and_static_files():
    # Only named: nothing connects to it before a request.
    prepared = _prepared(CACHE_URL="redis://127.0.0.1:1/0")
    # The tasks page and everything it includes, and the account pages' base.
    for template in (
        "base.html",
        "todos/tasks.html",
        "todos/_layout.html",
        "todos/_task_panel.html",
        "todos/_task.html",
        "account/login.html",
    ):
        assert template in prepared["templates"], prepared["templates"]
    # Only the project's own templates: not every installed package's.
    assert not [name for name in prepared["templates"] if name.startswith("admin/")]
    assert prepared["urls_reversible"] is True
    assert prepared["manifest_loaded"] is True
    assert prepared["redis_imported"] is True
    # What the master built is kept out of the workers' garbage collections.
    assert prepared["objects_frozen"] > 50_000


def test_without_a_shared_cache_the_in_memory_caches_backend_is_loaded_too():
    assert _prepared()["memory_cache_imported"] is True
