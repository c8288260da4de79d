# newsradar: one image for the worker, beat, the migration job and the web console.
# Build:  docker build -t newsradar .
# Slim: a build stage makes the virtualenv (wheels only, no compiler needed); the
# runtime stage copies it and runs as an unprivileged user.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY worker ./worker
RUN /opt/venv/bin/pip install .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    NEWSRADAR_CONFIG=/app/config/newsradar.yaml \
    NEWSRADAR_METRICS_PORT=9808 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/newsradar-metrics
RUN groupadd --system --gid 10001 newsradar \
 && useradd --system --uid 10001 --gid newsradar --home-dir /app --shell /usr/sbin/nologin newsradar \
 && mkdir -p /app/var \
 && chown newsradar:newsradar /app/var
COPY --from=build /opt/venv /opt/venv
COPY config /app/config
WORKDIR /app
USER newsradar:newsradar
EXPOSE 9808 8080
CMD ["newsradar", "worker"]
