#!/usr/bin/env bash
# Build a local Debian bookworm base image with Python for the container test, once.
# The test machines cannot pull from Docker Hub but reach Debian's packages, so the base is
# made with debootstrap and `docker import`ed; a second run finds the image and returns.
# Usage: scripts/container-test-base.sh [IMAGE]   (default okc-sim-test-base:bookworm)
set -euo pipefail

image="${1:-okc-sim-test-base:bookworm}"
# One build at a time: .ci/run starts one in the background, and the test waits for it here.
exec 9>"${TMPDIR:-/tmp}/okc-sim-test-base.lock"
flock 9
if docker image inspect "$image" >/dev/null 2>&1; then
    echo "$image"
    exit 0
fi

rootfs="$(mktemp -d)"
trap 'rm -rf "$rootfs"' EXIT
# minbase and three packages: the smallest Debian that can make a venv and run the server.
# No mirror is named: debootstrap's default is Debian's own.
debootstrap --variant=minbase --include=python3,python3-venv,python3-pip \
    bookworm "$rootfs" >&2
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
tar -C "$rootfs" -c . | docker import - "$image" >&2
echo "$image"
