#!/usr/bin/env bash
# A base backup of Orderly's PostgreSQL server, the starting point for point-in-time recovery with the WAL
# archive (archiving.conf). Usage: deploy/postgres/backup.sh
#   DATABASE_URL         the server, as Orderly reaches it (a role with REPLICATION, e.g. the superuser)
#   ORDERLY_PG_BACKUPS   the directory base backups go into (each in base-<UTC time>/)
# Prints the new backup's directory last. Run it as the user PostgreSQL runs as (as root it runs as postgres),
# so a restore can hand the files straight to the server.
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL to the PostgreSQL server}"
backups="${ORDERLY_PG_BACKUPS:?set ORDERLY_PG_BACKUPS to the base backup directory}"
bindir="${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

mkdir -p "$backups"
[ "$(id -u)" = 0 ] && chown postgres: "$backups"
name="base-$(date -u +%Y%m%dT%H%M%SZ)"
target="$backups/$name"
echo "base backup into $target" >&2
# -X stream: the WAL written while copying comes along, so the copy is consistent by itself; fast checkpoint: start now.
as_postgres "$bindir/pg_basebackup" -d "$DATABASE_URL" -D "$target.partial" -X stream -c fast --label "orderly $name" --progress >&2
as_postgres "$bindir/pg_verifybackup" "$target.partial" >&2
# Recovery to a time before this moment cannot start from this backup; restore.sh picks by it.
date -u +%Y-%m-%dT%H:%M:%SZ | as_postgres tee "$target.partial/orderly-backup-finished-at" >/dev/null
mv "$target.partial" "$target"
echo "$target"
