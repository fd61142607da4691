#!/usr/bin/env bash
# PostgreSQL's archive_command: copies one finished WAL segment (or history file) into the archive.
#   archive_command = 'ORDERLY_WAL_ARCHIVE=/var/lib/orderly/wal-archive /opt/orderly/deploy/postgres/archive-wal.sh %p %f'
# A segment lands whole (copied to a temporary name, synced, renamed) and is never overwritten with other
# content: PostgreSQL retries a failed archive, and must learn of a clash rather than lose history.
set -euo pipefail
source_path="$1"
name="$2"
archive="${ORDERLY_WAL_ARCHIVE:?set ORDERLY_WAL_ARCHIVE to the WAL archive directory}"
target="$archive/$name"
if [ -f "$target" ]; then
  cmp -s "$source_path" "$target" && exit 0
  echo "archive-wal: $target exists with other content" >&2
  exit 1
fi
cp "$source_path" "$target.partial"
sync "$target.partial"
mv "$target.partial" "$target"
sync "$archive"
