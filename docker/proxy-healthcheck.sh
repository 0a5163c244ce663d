#!/bin/sh
# The proxy container's health probe: its own /health listener (see Caddyfile) answers 200.
# Caddy's official image is Alpine (busybox wget); other builds of it may only have bash.
set -eu
url=http://127.0.0.1:8081/health
if command -v wget >/dev/null 2>&1; then
    exec wget -q -T 3 -O /dev/null "$url"
fi
exec bash -c '
    exec 3<>/dev/tcp/127.0.0.1/8081
    printf "GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3
    read -r -t 3 _ status _ <&3
    [ "$status" = 200 ]
'
