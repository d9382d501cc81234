#!/bin/sh
# Dump CoreSync's PostgreSQL database to a timestamped custom-format file and prune old ones.
#
#   deploy/backup.sh [DATABASE_URL]      (default: $DATABASE_URL)
#
#   BACKUP_DIR             where dumps go (default: ./backups); one file coresync-YYYYmmddTHHMMSSZ.dump per run
#   BACKUP_RETENTION_DAYS  dumps older than this are deleted after a successful dump (default: 14; 0 keeps all)
#
# Prints the new file's path. The dump holds encrypted PII: without FIELD_ENCRYPTION_KEYS (kept apart from the
# dumps, see docs/operations.md "Backups and restore") it cannot be read, by an attacker or by you.
set -eu

url="${1:-${DATABASE_URL:-}}"
if [ -z "$url" ]; then
    echo "usage: $0 postgres://user:password@host:5432/dbname  (or set DATABASE_URL)" >&2
    exit 64
fi
case "$url" in
    postgres://*|postgresql://*) ;;
    *) echo "backup.sh: $url is not a PostgreSQL URL (SQLite: copy var/coresync.sqlite3 with sqlite3 .backup)" >&2; exit 64 ;;
esac

dir="${BACKUP_DIR:-./backups}"
retention="${BACKUP_RETENTION_DAYS:-14}"
mkdir -p "$dir"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
file="$dir/coresync-$stamp.dump"
partial="$file.partial"

# -Fc: compressed, restorable table by table with pg_restore; no owners or grants, so it restores under any role.
pg_dump --format=custom --no-owner --no-acl --file="$partial" --dbname="$url"
mv "$partial" "$file"  # a dump that failed half-way never looks like a backup

if [ "$retention" -gt 0 ]; then
    find "$dir" -maxdepth 1 -name 'coresync-*.dump' -type f -mtime +"$retention" -delete
fi
echo "$file"
