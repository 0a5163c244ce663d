#!/usr/bin/env bash
# Restores a dump made by deploy/backup.sh into the running Compose stack next to this script:
# the tables in `todo` are recreated and refilled from FILE, then web restarts.
#   deploy/restore.sh todo-2025-01-31.sql
set -o errexit -o nounset -o pipefail
dump=$(realpath "$1")
cd "$(dirname "$0")/.."

# The dump comes on stdin, so the root password's option file comes on descriptor 3 (a here-doc),
# never on a command line.
docker compose exec -T db sh -c '
    exec mysql --defaults-extra-file=/dev/fd/3 --user=root 3<<OPTIONS
[client]
password=$(cat /run/todo-secrets/mysql_root_password)
OPTIONS' <"$dump"
docker compose restart web
