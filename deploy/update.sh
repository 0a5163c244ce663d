#!/usr/bin/env bash
# Zero-downtime update of the Compose stack's `web` replicas (run from anywhere; uses the project
# next to this script and its .env):
#   1. build the new images;
#   2. start as many new replicas beside the old ones and wait until they are healthy;
#   3. stop and remove the old replicas: `docker stop` lets gunicorn finish its in-flight requests,
#      while the proxy already sends new ones (and retries refused ones) to the new replicas.
# (Scaling back down with Compose would remove the newest replicas, not the old ones.)
# Migrations run once, under a lock, when the first new replica starts: they must keep working
# with the old code still serving (add columns first, drop them a release later).
# The proxy is left alone: it serves a newer release's static files from `web` until
# `docker compose up -d proxy` replaces it (a second or two without a front door).
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/.."

mapfile -t old < <(docker compose ps --quiet web)
replicas=$((${#old[@]} > 0 ? ${#old[@]} : 1))
wait_timeout=${UPDATE_WAIT_TIMEOUT:-300}

echo "update: building"
docker compose build web
echo "update: starting ${replicas} new web replica(s) beside the old ones"
docker compose up --detach --no-deps --no-recreate --wait --wait-timeout "$wait_timeout" \
    --scale "web=$((2 * replicas))" web
if ((${#old[@]})); then
    echo "update: retiring the ${#old[@]} old replica(s)"
    docker stop "${old[@]}" >/dev/null
    docker rm "${old[@]}" >/dev/null
fi
docker compose ps web
