#!/usr/bin/env bash
# Creates the four Swarm secrets deploy/stack.yaml expects, unless they exist. Each value comes
# from the variable of the same name (DJANGO_SECRET_KEY, MYSQL_ROOT_PASSWORD, MYSQL_PASSWORD,
# CACHE_PASSWORD), as
# with Compose's .env, or is generated. Swarm secrets cannot be changed, only replaced: see README.
set -o errexit -o nounset -o pipefail

random_secret() {
    head -c 48 /dev/urandom | base64 | tr -d '/+=\n'
}

for variable in DJANGO_SECRET_KEY MYSQL_ROOT_PASSWORD MYSQL_PASSWORD CACHE_PASSWORD; do
    name="todo_${variable,,}"
    if docker secret inspect "$name" >/dev/null 2>&1; then
        echo "swarm-secrets: $name exists, kept"
        continue
    fi
    value="${!variable:-}"
    if [[ -z "$value" ]]; then
        value="$(random_secret)"
        source="generated"
    else
        source="from \$$variable"
    fi
    printf '%s' "$value" | docker secret create "$name" - >/dev/null
    echo "swarm-secrets: $name created ($source)"
done
