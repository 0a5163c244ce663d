"""Liveness and readiness probes for orchestrators and load balancers (plain text)."""

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

_migrations_applied = False  # once true it stays true for the process: the plan only shrinks


def _plain(text: str, status: int = 200) -> HttpResponse:
    return HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Alive: the process serves requests. Touches no database."""
    return _plain("ok")


@require_GET
@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    """Ready: the database answers and every migration is applied."""
    global _migrations_applied
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        if not _migrations_applied:
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
            if plan:
                return _plain(f"unapplied migrations: {len(plan)}", status=503)
            _migrations_applied = True
    except DatabaseError as exc:
        return _plain(f"database unavailable: {exc.__class__.__name__}", status=503)
    return _plain("ready")
