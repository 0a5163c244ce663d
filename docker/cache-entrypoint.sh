#!/bin/sh
# The shared cache (compose's `cache`): Redis holding copies of the sessions.
# Memory only, since the database is the truth and an empty cache costs only queries; bounded,
# evicting the least recently used entries; behind the password in CACHE_PASSWORD_FILE (the
# secrets volume, or a Swarm secret), written to a config file, not on the command line.
set -eu
umask 077
config=/tmp/redis.conf
printf 'requirepass %s\n' "$(cat "${CACHE_PASSWORD_FILE:-/run/todo-secrets/cache_password}")" >"$config"
exec redis-server "$config" \
  --bind 0.0.0.0 --port 6379 \
  --save "" --appendonly no \
  --maxmemory "${CACHE_MAX_MEMORY:-128mb}" --maxmemory-policy volatile-lru
