#!/usr/bin/env bash
# Point-in-time recovery: a new data directory holding the database as it was at TARGET_TIME, from the
# newest base backup finished before it plus the WAL archive. Usage:
#   deploy/postgres/restore.sh TARGET_TIME DIR      e.g. restore.sh '2026-12-07 03:14:00+00' /var/lib/orderly/pg-restored
#   ORDERLY_PG_BACKUPS   base backups (backup.sh)        ORDERLY_WAL_ARCHIVE   the WAL archive (archive-wal.sh)
# DIR must not exist. Start the server on it (pg_ctl -D DIR start); it replays the archive up to TARGET_TIME,
# then opens for writes on a new timeline. Check it (orderly verify) before pointing Orderly at it.
set -euo pipefail
target_time="${1:?usage: restore.sh TARGET_TIME DIR}"
dir="${2:?usage: restore.sh TARGET_TIME DIR}"
backups="${ORDERLY_PG_BACKUPS:?set ORDERLY_PG_BACKUPS to the base backup directory}"
archive="${ORDERLY_WAL_ARCHIVE:?set ORDERLY_WAL_ARCHIVE to the WAL archive directory}"
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ -e "$dir" ] && { echo "restore: $dir exists; restore into a new directory" >&2; exit 1; }
target_epoch="$(date -u -d "$target_time" +%s)" || { echo "restore: '$target_time' is not a time" >&2; exit 1; }

chosen=""
for base in $(ls -d "$backups"/base-* 2>/dev/null | grep -v '\.partial$' | sort); do
  finished="$(cat "$base/orderly-backup-finished-at" 2>/dev/null || true)"
  [ -n "$finished" ] && [ "$(date -u -d "$finished" +%s)" -lt "$target_epoch" ] && chosen="$base"
done
[ -n "$chosen" ] || { echo "restore: no base backup in $backups finished before $target_time" >&2; exit 1; }
echo "restoring $chosen, then the WAL archive up to $target_time" >&2

mkdir -p "$dir"
cp -a "$chosen/." "$dir/"
rm -f "$dir/orderly-backup-finished-at" "$dir/postmaster.pid"
cat >> "$dir/postgresql.auto.conf" <<CONF
# Point-in-time recovery (deploy/postgres/restore.sh)
restore_command = 'cp "$archive/%f" "%p"'
recovery_target_time = '$target_time'
recovery_target_action = 'promote'
CONF
touch "$dir/recovery.signal"
chmod 700 "$dir"
[ "$(id -u)" = 0 ] && chown -R postgres: "$dir"
echo "$dir"
