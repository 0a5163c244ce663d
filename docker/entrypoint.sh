#!/usr/bin/env bash
# Container entrypoint for the web service (also runs unchanged on a host, which the tests do):
#   1. wait for the database (manage.py wait_for_db, at most DB_WAIT_TIMEOUT seconds, default 60);
#   2. apply migrations under a MySQL advisory lock (manage.py migrate_locked), so replicas that
#      start together migrate exactly once; DJANGO_MIGRATE=false skips this step;
#   3. when DJANGO_SUPERUSER_USERNAME is set, create that superuser unless it exists
#      (password from DJANGO_SUPERUSER_PASSWORD or DJANGO_SUPERUSER_PASSWORD_FILE);
#   4. exec the command (CMD: gunicorn), which becomes PID 1 and receives `docker stop`'s SIGTERM.
set -o errexit -o nounset -o pipefail

# manage.py is one level up from this script; `python` is whatever PATH provides (the image's
# virtualenv in the container, the developer's venv on a host).
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() {
    printf '%s entrypoint: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"
}

superuser_exists() {
    python manage.py shell --no-imports --command '
import os, sys
from django.contrib.auth import get_user_model
User = get_user_model()
lookup = {User.USERNAME_FIELD: os.environ["DJANGO_SUPERUSER_USERNAME"]}
sys.exit(0 if User._default_manager.filter(**lookup).exists() else 3)
'
}

ensure_superuser() {
    if [[ -z "${DJANGO_SUPERUSER_PASSWORD:-}" && -n "${DJANGO_SUPERUSER_PASSWORD_FILE:-}" ]]; then
        DJANGO_SUPERUSER_PASSWORD="$(<"$DJANGO_SUPERUSER_PASSWORD_FILE")"
        export DJANGO_SUPERUSER_PASSWORD
    fi
    local status=0
    superuser_exists || status=$?
    if ((status == 0)); then
        log "superuser '$DJANGO_SUPERUSER_USERNAME' already exists"
        return
    elif ((status != 3)); then
        log "could not check for superuser '$DJANGO_SUPERUSER_USERNAME' (exit $status)"
        return "$status"
    fi
    log "creating superuser '$DJANGO_SUPERUSER_USERNAME'"
    # Another replica may win the race between the check and the insert: that is fine too.
    python manage.py createsuperuser --noinput \
        --username "$DJANGO_SUPERUSER_USERNAME" \
        --email "${DJANGO_SUPERUSER_EMAIL:-}" ||
        superuser_exists
}

# Compose hands variables left unset in .env over as empty strings; gunicorn fails to even import
# with an empty WEB_CONCURRENCY, while unset means "derive from the CPU count" (gunicorn.conf.py).
if [[ -z "${WEB_CONCURRENCY:-}" ]]; then
    unset WEB_CONCURRENCY
fi

log "waiting for the database (at most ${DB_WAIT_TIMEOUT:-60} s)"
python manage.py wait_for_db --timeout "${DB_WAIT_TIMEOUT:-60}"

if [[ "${DJANGO_MIGRATE:-true}" == "false" ]]; then
    log "DJANGO_MIGRATE=false: skipping migrations"
else
    python manage.py migrate_locked --noinput --timeout "${DJANGO_MIGRATE_TIMEOUT:-300}"
fi

if [[ -n "${DJANGO_SUPERUSER_USERNAME:-}" ]]; then
    ensure_superuser
fi

log "starting: $*"
exec "$@"
