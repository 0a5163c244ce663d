#!/bin/sh
# Healthy when Redis answers an authenticated PING.
set -eu
REDISCLI_AUTH="$(cat "${CACHE_PASSWORD_FILE:-/run/todo-secrets/cache_password}")" redis-cli -h 127.0.0.1 ping | grep -qx PONG
