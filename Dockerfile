# syntax=docker/dockerfile:1
# Every service image, from this one file: the build argument SERVICE names the folder under
# services/ (intake, dispatch, outage-notice, survey, analytics). Build from the repository root:
#   docker build --build-arg SERVICE=intake -t hotline/intake:dev .
# All five at once: deploy/build-images.sh REGISTRY TAG (docker compose passes SERVICE itself: see
# docker-compose.yml). The image also carries the devstack package, without its embedded-stack
# dependencies, so the chart's hook Job can run `python -m devstack.provision`.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ARG SERVICE
RUN test -n "${SERVICE}" || { echo "build with --build-arg SERVICE=<intake|dispatch|outage-notice|survey|analytics>" >&2; exit 1; }
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY constraints.txt ./
COPY libs/contracts libs/contracts
COPY libs/servicekit libs/servicekit
COPY libs/devstack libs/devstack
COPY services/${SERVICE} services/${SERVICE}
COPY deploy/image deploy/image
# wheels first (every third-party version pinned by constraints.txt), then install only from them;
# the service's own Settings then give its environment prefix and port to the image's two commands
RUN pip wheel --wheel-dir /wheels -c constraints.txt libs/contracts libs/servicekit "services/${SERVICE}" \
 && pip install --no-index --find-links /wheels -c constraints.txt "hotline-${SERVICE}" \
 && pip wheel --no-deps --wheel-dir /wheels-devstack libs/devstack \
 && pip install --no-deps --no-index --find-links /wheels-devstack hotline-devstack \
 && python deploy/image/entrypoints.py "${SERVICE}" \
 && python -c "import servicekit, hotline_contracts, devstack.provision"

FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE
LABEL org.opencontainers.image.title="hotline-${SERVICE}" \
      org.opencontainers.image.description="95598 hotline platform: the ${SERVICE} service"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN groupadd --system --gid 10001 hotline \
 && useradd --system --uid 10001 --gid hotline --home-dir /app --no-create-home --shell /usr/sbin/nologin hotline \
 && mkdir -p /app/.devstack \
 && chown -R 10001:10001 /app
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
USER 10001:10001
# The port is the service's own (intake 8101 … analytics 8105, <PREFIX>HTTP_PORT): compose and the
# chart publish it. Liveness only (/healthz); docker compose checks /readyz instead.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 CMD ["hotline-healthcheck"]
CMD ["hotline-serve"]
