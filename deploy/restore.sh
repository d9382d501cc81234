#!/bin/sh
# Restore a dump made by deploy/backup.sh into a database, replacing what is there.
#
#   deploy/restore.sh FILE.dump [DATABASE_URL]     (default: $DATABASE_URL)
#
# The target database must exist (an empty one, or the damaged one: objects in the dump are dropped first,
# --clean --if-exists). It runs in one transaction: on any error nothing changes. Stop the web, worker and beat
# processes first, and run `python manage.py migrate` afterwards if the code is newer than the dump.
set -eu

file="${1:-}"
url="${2:-${DATABASE_URL:-}}"
if [ -z "$file" ] || [ -z "$url" ]; then
    echo "usage: $0 FILE.dump postgres://user:password@host:5432/dbname  (or set DATABASE_URL)" >&2
    exit 64
fi
if [ ! -f "$file" ]; then
    echo "restore.sh: no such dump: $file" >&2
    exit 66
fi
pg_restore --clean --if-exists --no-owner --no-acl --single-transaction --exit-on-error --dbname="$url" "$file"
echo "restored $file"
