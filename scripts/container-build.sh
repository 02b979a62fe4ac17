#!/usr/bin/env bash
# Build the okc-sim image with no network inside the build: the project's wheel and its
# dependencies' wheels are gathered here, on the host, for the base image's Python, and the
# Dockerfile installs them with `pip install --no-index` (see its wheelhouse/ branch).
# Usage: scripts/container-build.sh BASE_IMAGE [TAG]   (default tag okc-sim:local)
set -euo pipefail

base="${1:?usage: scripts/container-build.sh BASE_IMAGE [TAG]}"
tag="${2:-okc-sim:local}"
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"

context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
# The base's Python decides which binary wheels fit (e.g. 311 for bookworm, 312 for 3.12-slim).
version="$(docker run --rm --entrypoint python3 "$base" \
    -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
# A fixed timestamp makes the wheel byte-identical while the sources are, so Docker's layer
# cache skips the install step on a rebuild of unchanged code.
SOURCE_DATE_EPOCH=315532800 "$python" -m pip wheel --quiet --no-deps --wheel-dir "$context/wheelhouse" "$root"
"$python" -m pip download --quiet --dest "$context/wheelhouse" \
    --only-binary=:all: --python-version "$version" "$context"/wheelhouse/okc_lifecycle-*.whl
docker build --quiet --force-rm --file "$root/Dockerfile" --build-arg "BASE=$base" --tag "$tag" "$context"
# Earlier builds stay behind as untagged images (the build stage is the next build's cache):
# keep a day of them and drop the older ones.
docker image prune --force --filter label=org.opencontainers.image.title=okc-sim \
    --filter until=24h >/dev/null
