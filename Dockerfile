# The todo images: Django + gunicorn on python:3.13-slim, and the Caddy proxy in front of it.
#   build   - compiles the dependencies (mysqlclient needs a C compiler and the MySQL client
#             headers) into a virtualenv at /opt/venv;
#   runtime - the same base with only the client library, the virtualenv, the code and the
#             collected static files; runs as the fixed non-root uid 10001 (compose's `web`);
#   proxy   - Caddy with docker/Caddyfile and a copy of runtime's collected static files, which it
#             serves itself (compose's `proxy`, built with `--target proxy`);
#   cache   - Debian's Redis on the same base, for sessions (compose's `cache`,
#             built with `--target cache`), running as the fixed non-root uid 10002.

FROM python:3.13-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# Unpinned on purpose: the Debian release of the base image pins these packages' versions.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential pkg-config default-libmysqlclient-dev \
    && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install --no-cache-dir --require-virtualenv -r /tmp/requirements.txt


FROM python:3.13-slim AS runtime

LABEL org.opencontainers.image.title="todo" \
      org.opencontainers.image.description="Multi-user to-do web app (Django 5.2 LTS, gunicorn, MySQL)"

ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# libmariadb3 is mysqlclient's runtime library; it carries the caching_sha2_password plugin that
# MySQL 8.4 uses by default. /run/todo-secrets is where compose mounts the secrets volume.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmariadb3 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin app \
    && install -d -m 0755 /run/todo-secrets

COPY --from=build /opt/venv /opt/venv

WORKDIR /app
# Code stays owned by root: the app user can read it, not change it.
COPY . .

# collectstatic only imports the settings, which insist on a secret key: a throwaway one that
# exists only in this RUN (it is not in the image's environment). Byte-compile the code too,
# since the container's file system is read-only at run time.
RUN DJANGO_SECRET_KEY=collectstatic-only-not-a-secret python manage.py collectstatic --noinput \
    && python -m compileall -q /app

USER 10001:10001

EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "/app/docker/healthcheck.py"]

ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["gunicorn", "--config", "gunicorn.conf.py", "todo_site.wsgi:application"]


FROM caddy:2 AS proxy

LABEL org.opencontainers.image.title="todo-proxy" \
      org.opencontainers.image.description="Caddy in front of the todo web app: TLS, buffering, static files"

COPY docker/Caddyfile /etc/caddy/Caddyfile
COPY docker/proxy-healthcheck.sh /usr/local/bin/proxy-healthcheck
COPY --from=runtime /app/staticfiles /srv/static

HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 CMD ["proxy-healthcheck"]


FROM python:3.13-slim AS cache

LABEL org.opencontainers.image.title="todo-cache" \
      org.opencontainers.image.description="Redis for the todo web app's sessions"

# The user first, with a fixed uid for the secrets volume; the package then runs as it.
# hadolint ignore=DL3008
RUN groupadd --system --gid 10002 redis \
    && useradd --system --uid 10002 --gid 10002 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin redis \
    && apt-get update \
    && apt-get install -y --no-install-recommends redis-server \
    && rm -rf /var/lib/apt/lists/*

COPY docker/cache-entrypoint.sh /usr/local/bin/cache-entrypoint
COPY docker/cache-healthcheck.sh /usr/local/bin/cache-healthcheck

USER 10002:10002

EXPOSE 6379

HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 CMD ["cache-healthcheck"]

ENTRYPOINT ["cache-entrypoint"]
