#!/usr/bin/env bash
# Backs up the Compose stack next to this script into DIR (default: the current folder), as files
# only their owner can read: todo-DATE.sql (the `todo` database, one consistent InnoDB snapshot),
# todo-secrets-DATE.tar (the secret key and passwords) and, with HTTPS on, todo-proxy-data-DATE.tar
# (certificates and the local CA). Restore with deploy/restore.sh.
set -o errexit -o nounset -o pipefail
target=$(realpath "${1:-.}")
cd "$(dirname "$0")/.."
umask 077
stamp=$(date +%F)

# The root password reaches mysqldump as an option file on its stdin (printf is the shell's
# builtin), never on a command line, which every process on the host may read.
docker compose exec -T db sh -c '
    printf "[client]\npassword=%s\n" "$(cat /run/todo-secrets/mysql_root_password)" |
        exec mysqldump --defaults-extra-file=/dev/stdin --user=root --single-transaction \
            --routines --triggers --set-gtid-purged=OFF --databases todo' \
    >"$target/todo-$stamp.sql"
docker compose exec -T db tar -C /run/todo-secrets -cf - . >"$target/todo-secrets-$stamp.tar"
if docker compose exec -T proxy test -d /data/caddy; then
    docker compose exec -T proxy tar -C /data -cf - caddy >"$target/todo-proxy-data-$stamp.tar"
fi
ls -l "$target"/todo-*"$stamp"*
