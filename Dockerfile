# news-monitor: a non-root image with its state in the /data volume and its config in /config.
#   docker build -t news-monitor .
#   docker run -v news-data:/data -v "$PWD/config:/config:ro" -p 8080:8080 news-monitor
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NEWS_MONITOR_CONFIG=/config/monitor.yaml \
    NEWS_MONITOR_HEALTH_HOST=0.0.0.0

# The runtime dependencies only: the dev extras (test servers, linters) stay out of the image.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY monitor ./monitor
COPY alerts ./alerts
# psycopg for a postgresql:// database (the postgres extra), never the dev extras
RUN pip install . "psycopg[binary]>=3.1" && rm -rf /src

RUN useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin monitor \
    && mkdir -p /data /config \
    && chown monitor:monitor /data
# The default config works without a mail server; mount your own over /config.
COPY --chown=root:root config/monitor.yaml /config/monitor.yaml

# Relative paths in the config (database: data/monitor.db) land in the volume.
WORKDIR /data
VOLUME /data
USER monitor

EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status != 200)"]

ENTRYPOINT ["news-monitor"]
CMD ["run", "--health-port", "8080"]
