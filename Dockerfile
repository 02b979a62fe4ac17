# The simulator as a container image: `okc-sim serve` on 0.0.0.0:8080 as a non-root user.
# Build:  docker build -t okc-sim .
# Run:    docker run -p 8080:8080 -e OKC_SIM_ADMIN_TOKEN=secret okc-sim
# See docs/container.md for GitHub Actions `services:` and docker compose.

# Any Debian-like image with Python >= 3.11 and its venv module will do (the tests pass a
# local Debian bookworm base, built with debootstrap, because they cannot pull images).
ARG BASE=python:3.12-slim

FROM ${BASE} AS build
# Both stages carry the title, so old untagged leftovers can be pruned by it.
LABEL org.opencontainers.image.title=okc-sim
# Installs from wheels when the build context has a wheelhouse/ folder (made on a machine
# with the index, by scripts/container-build.sh), so the build needs no network then;
# otherwise pip installs the project from source and fetches its dependencies as usual.
COPY . /src
RUN python3 -m venv /opt/okc-sim \
 && if [ -d /src/wheelhouse ]; then \
        /opt/okc-sim/bin/pip install --no-cache-dir --no-index \
            --find-links /src/wheelhouse okc-lifecycle; \
    else \
        /opt/okc-sim/bin/pip install --no-cache-dir /src; \
    fi

FROM ${BASE}
LABEL org.opencontainers.image.title=okc-sim
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/okc-sim --create-home okc
COPY --from=build /opt/okc-sim /opt/okc-sim
ENV PATH=/opt/okc-sim/bin:$PATH \
    PYTHONUNBUFFERED=1
USER okc
WORKDIR /var/lib/okc-sim
EXPOSE 8080

# Listening beyond loopback, the server requires an admin token for its control API (/_sim):
# OKC_SIM_ADMIN_TOKEN becomes `serve --admin-token`. OKC_SIM_ALLOW_HOSTS (comma-separated
# host names clients may use, e.g. the service name in compose) is read by `okc-sim serve`.
ENTRYPOINT ["/bin/sh", "-c", "if [ \"$1\" = serve ] && [ -n \"$OKC_SIM_ADMIN_TOKEN\" ]; then set -- \"$@\" --admin-token \"$OKC_SIM_ADMIN_TOKEN\"; fi; exec okc-sim \"$@\"", "okc-sim"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]

# Healthy once the control API answers (with the admin token, which it needs here). Python
# is all the image has, so no curl: urllib raises, and the check fails, on any non-2xx.
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request as u; u.urlopen(u.Request('http://127.0.0.1:8080/_sim/clock', headers={'X-Admin-Token': os.environ.get('OKC_SIM_ADMIN_TOKEN', '')}), timeout=2)"]
