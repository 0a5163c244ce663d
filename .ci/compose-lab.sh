#!/usr/bin/env bash
# The Compose part of CI: real Docker Compose v2 over podman (../shared/compose-lab), then
# `pytest -m compose` against it. Called by .ci/run after the venv exists; also fine by hand.
#   PYTHON  interpreter with requirements-dev.txt installed (default: .venv/bin/python)
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/.."

lab=../shared/compose-lab
python=${PYTHON:-.venv/bin/python}
bin_dir=$(dirname "$python")
started=$SECONDS

step() { printf -- '--- %s (%ss)\n' "$*" "$((SECONDS - started))"; }

step "compose-lab: engine"
engine_exports=$("$lab/up-engine")
eval "$engine_exports"

step "compose-lab: python:3.13-slim and mysql:8.4 stand-ins"
"$lab/build-standins"

step "lint-compose"
"$lab/lint-compose"

step "hadolint Dockerfile"
"$bin_dir/hadolint" Dockerfile

step "shellcheck"
"$bin_dir/shellcheck" docker/entrypoint.sh .ci/compose-lab.sh

step "docker compose config -q (no .env)"
if [[ -e .env ]]; then
    echo "compose-lab.sh: a .env exists; validating with an empty one instead" >&2
    docker compose --env-file /dev/null config --quiet
else
    docker compose config --quiet
fi

step "pytest -m compose"
status=0
# -s: the tests print the time from `up` to healthy.
"$python" -m pytest -m compose -p no:cacheprovider -s || status=$?
step "compose part done (exit $status)"
exit "$status"
