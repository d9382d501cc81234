# CoreSync: one image for every role (web, worker, beat, release); the role is the command:
#   docker run IMAGE web | worker | beat | release | manage <command>
# Self-hosting with Docker Compose: docs/operations.md. Nothing secret is baked in: configuration is environment.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CORESYNC_VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles \
    PORT=8000

# postgresql-client: pg_dump / pg_restore for deploy/backup.sh and deploy/restore.sh run from this image.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 coresync \
    && useradd --system --uid 10001 --gid coresync --home-dir /app --no-create-home --shell /usr/sbin/nologin coresync

WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .
# Static files are collected (hashed, compressed for WhiteNoise) at build time; a throwaway key and SQLite
# database only for this step: collectstatic reads settings but no real database or secret.
RUN SECRET_KEY=collectstatic-at-build-time-only DATABASE_URL=sqlite:////tmp/build.sqlite3 \
        python manage.py collectstatic --noinput -v 0 \
    && rm -f /tmp/build.sqlite3 \
    && mkdir -p /app/var \
    && chown -R coresync:coresync /app/var \
    && chmod +x deploy/entrypoint.sh

USER coresync
EXPOSE 8000
# The web role's check; docker-compose.yml sets the worker's and beat's own.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["python", "deploy/healthcheck.py", "web"]
ENTRYPOINT ["deploy/entrypoint.sh"]
CMD ["web"]
