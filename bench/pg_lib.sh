# bench/pg_lib.sh - sourced by the PostgreSQL benchmarks (pg.sh, pg_segments.sh): the bench's
# own PostgreSQL 15 and psql on it. Expects $root (the repository) and $work (a short temporary
# folder: the socket's path has a limit); sets $pgdir and $pg_db (the database `kt`).
PGBIN=${KT_PG_BIN:-/usr/lib/postgresql/15/bin}
SYNC=${KT_PG_SYNCHRONOUS_COMMIT:-on} # off: what the commits' fsync costs PostgreSQL
pgdir=$work/pg
pg_db="postgresql:///kt?host=$pgdir&user=kartoteka"

# as_pg CMD...: as the PostgreSQL's owner (nobody when we are root, as pgtmp.py does)
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

# pg_bench_start: the tests' cluster (tests/e2e/pgtmp.py: initdb in $pgdir, a Unix socket only)
# restarted with the bench's settings - fsync and synchronous_commit on (the tests run with both
# off), full_page_writes, shared_buffers=1GB, max_connections=300 - and the database `kt`
pg_bench_start() {
    chmod 755 "$work"
    /usr/bin/python3 "$root/tests/e2e/pgtmp.py" start "$pgdir" >/dev/null
    (cd "$pgdir" && as_pg "$PGBIN/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -m fast \
        restart -o "-k $pgdir -c listen_addresses='' -c fsync=on -c synchronous_commit=$SYNC \
        -c full_page_writes=on -c shared_buffers=1GB -c max_connections=300" >/dev/null)
    echo "pg_settings $(psql_ postgres "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name)
        FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes',
        'shared_buffers', 'wal_level', 'max_connections')")"
    echo "pg_version $(psql_ postgres 'SHOW server_version')"
    (cd "$pgdir" && as_pg "$PGBIN/createdb" -h "$pgdir" -U kartoteka kt)
}

pg_bench_stop() {
    /usr/bin/python3 "$root/tests/e2e/pgtmp.py" stop "$pgdir" >/dev/null 2>&1 || true
}

# psql_ DB SQL: one statement's rows, unaligned, no header
psql_() {
    (cd "$pgdir" && as_pg "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$pgdir" \
        -U kartoteka -d "$1" -c "$2")
}

# median: the median of the numbers on stdin, one a line
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
