#!/usr/bin/env bash
# The Compose part of CI: a Docker engine (the one `docker` already talks to, with `docker
# compose`; where none answers, the real Docker engine of ../shared/compose-lab as a single-node
# Swarm manager), static checks of the container files, then `pytest -m compose` against it (the
# Compose stack, then the Swarm stack). Called by .ci/run after the venv exists; also fine by hand.
#   PYTHON  interpreter with requirements-dev.txt installed (default: .venv/bin/python)
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/.."

lab=../shared/compose-lab
python=${PYTHON:-.venv/bin/python}
bin_dir=$(dirname "$python")
started=$SECONDS

step() { printf -- '--- %s (%ss)\n' "$*" "$((SECONDS - started))"; }

if docker info >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
    step "Docker engine: the one at ${DOCKER_HOST:-the default socket}"
elif [[ -x $lab/up-docker ]]; then
    step "compose-lab: Docker engine, Swarm manager, stand-in images"
    engine_exports=$("$lab/up-docker" --swarm)
    eval "$engine_exports"
else
    echo "compose-lab.sh: no Docker engine answers (docker info, docker compose version)" \
        "and there is no $lab to start one" >&2
    exit 1
fi

step "hadolint Dockerfile"
"$bin_dir/hadolint" Dockerfile

step "shellcheck"
"$bin_dir/shellcheck" docker/entrypoint.sh docker/proxy-healthcheck.sh docker/cache-entrypoint.sh \
    docker/cache-healthcheck.sh .ci/compose-lab.sh \
    deploy/update.sh deploy/swarm-secrets.sh deploy/backup.sh deploy/restore.sh

step "caddy validate docker/Caddyfile"
docker run --rm --network none --volume "$PWD/docker/Caddyfile:/etc/caddy/Caddyfile:ro" \
    caddy:2 caddy validate --config /etc/caddy/Caddyfile --adapter caddyfile

step "docker compose config -q (no .env); docker stack config (deploy/stack.yaml)"
if [[ -e .env ]]; then
    echo "compose-lab.sh: a .env exists; validating with an empty one instead" >&2
    docker compose --env-file /dev/null config --quiet
    docker compose --env-file /dev/null -f compose.yaml -f compose.tls.yaml config --quiet
else
    docker compose config --quiet
    docker compose -f compose.yaml -f compose.tls.yaml config --quiet
fi
# The stack hands web all of .env (env_file), which docker stack insists exists: an empty one here.
if [[ -e .env ]]; then
    docker stack config --compose-file deploy/stack.yaml >/dev/null
else
    trap 'rm -f .env' EXIT
    : >.env
    docker stack config --compose-file deploy/stack.yaml >/dev/null
    rm -f .env
    trap - EXIT
fi

step "pytest -m compose"
status=0
# -s: the tests print timings and request-loop results.
"$python" -m pytest -m compose -p no:cacheprovider -s || status=$?
step "compose part done (exit $status)"
exit "$status"
