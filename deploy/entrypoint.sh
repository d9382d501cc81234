#!/bin/sh
# One image (or one Render checkout), one role per process. Used by the Dockerfile, docker-compose.yml and
# render.yaml, so every platform starts CoreSync the same way (docs/operations.md, "Deploying").
#
#   entrypoint.sh web       uvicorn on coresync.asgi (HTTP and WebSocket), WEB_WORKERS processes on $PORT
#   entrypoint.sh worker    a Celery worker, WORKER_CONCURRENCY processes
#   entrypoint.sh beat      Celery beat behind the Redis leader lease (coresync.core.beat): run one or two, one leads
#   entrypoint.sh release   the deploy gate: system checks for production, then migrations (before new code serves)
#   entrypoint.sh manage …  any manage.py command (createsuperuser, rotate_field_keys, seed_demo, …)
set -eu

role="${1:-web}"
[ "$#" -gt 0 ] && shift

if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    # prometheus-client's multi-process files: one directory per container, emptied at start (stale files of a
    # previous run would be summed into the counters).
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
    find "$PROMETHEUS_MULTIPROC_DIR" -name '*.db' -delete
fi

case "$role" in
    web)
        exec uvicorn coresync.asgi:application --host "${BIND_HOST:-0.0.0.0}" --port "${PORT:-8000}" \
            --workers "${WEB_WORKERS:-2}" --no-access-log --timeout-graceful-shutdown 20 "$@"
        ;;
    worker)
        exec celery -A coresync worker --loglevel "${LOG_LEVEL:-INFO}" --concurrency "${WORKER_CONCURRENCY:-2}" "$@"
        ;;
    beat)
        exec celery -A coresync beat --loglevel "${LOG_LEVEL:-INFO}" --scheduler coresync.core.beat:SingleBeatScheduler \
            --schedule "${BEAT_SCHEDULE_FILE:-/tmp/celerybeat-schedule}" "$@"
        ;;
    release)
        python manage.py check --deploy --fail-level WARNING
        exec python manage.py migrate --noinput
        ;;
    manage)
        exec python manage.py "$@"
        ;;
    *)
        echo "usage: $0 web|worker|beat|release|manage <command>" >&2
        exit 64
        ;;
esac
