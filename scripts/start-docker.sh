#!/usr/bin/env bash
# Make sure a Docker engine answers, for tests/test_container.py. Machines of this project
# come with the docker client only: install Debian's docker.io (and debootstrap, which makes
# the test's base image) when missing, and start dockerd in the background. Needs root.
set -euo pipefail

if docker info >/dev/null 2>&1; then
    exit 0
fi

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if ((${#missing[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

log="${TMPDIR:-/tmp}/okc-sim-dockerd.log"
nohup dockerd >"$log" 2>&1 &
for _ in $(seq 60); do
    if docker info >/dev/null 2>&1; then
        exit 0
    fi
    sleep 1
done
echo "dockerd did not answer within 60 s; the end of its log ($log):" >&2
tail -n 30 "$log" >&2
exit 1
