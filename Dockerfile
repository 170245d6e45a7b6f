# IO Flussi: one image for the web app, the workers and `appio init` (see compose.yaml and
# docs/installation.md). The command chooses the role:
#   /app/deploy/bin/appio-web (default), /app/deploy/bin/appio-worker, /app/deploy/bin/appio-init
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/app/.venv/bin:$PATH \
    APPIO_DATA_DIR=/data

# A fixed uid, so that secret files and volumes can be given to it from the host. The data
# volume is readable by that user only: it may hold citizens' data.
RUN groupadd --system --gid 10001 appio \
 && useradd --system --uid 10001 --gid appio --create-home --home-dir /home/appio \
      --shell /usr/sbin/nologin appio \
 && mkdir /data \
 && chown appio:appio /data \
 && chmod 700 /data

WORKDIR /app

# The dependencies alone first, from the lock file with its hashes (pip refuses any file
# that does not match): this layer is rebuilt only when the lock changes.
COPY requirements.lock ./
RUN python -m venv /app/.venv \
 && /app/.venv/bin/pip install --require-hashes -r requirements.lock

COPY . .
# Editable, with no dependency resolution: the migrations, serve.py, app.py and the pages are
# read from /app, beside the package (appio_core/storage/migrate.py finds migrations/ there).
# Compiled now because /app stays read-only for the appio user at run time.
RUN /app/.venv/bin/pip install --no-deps -e . \
 && /app/.venv/bin/python -m compileall -q appio_core appio_ui migrations pages app.py serve.py

USER appio
VOLUME ["/data"]
EXPOSE 8501 8502

# Database reachable, migrations current, secret key right (appio_core/health.py).
HEALTHCHECK --interval=60s --timeout=30s --start-period=30s --retries=3 \
  CMD ["appio", "health"]

CMD ["/app/deploy/bin/appio-web"]
