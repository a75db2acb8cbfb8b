# Servers the tests use: PostgreSQL (job-tracker storage), headless Chromium (dashboard test) and a
# Java runtime for PySpark (the `ccdump spark` tests run on local[2]).
#
# Sourced by .ci/run as root on a fresh Debian 12 machine, with `set -euo pipefail` active, before
# `pip install -e '.[test]'` and pytest. Safe to source twice (every step is idempotent). Exports:
#   CCDUMP_TEST_POSTGRES     libpq URL of a database the tests may create schemas in
#   CCDUMP_CHROMIUM          path of the Chromium binary
#   CCDUMP_REQUIRE_SERVICES  1: tests that need these services fail instead of skipping

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq postgresql chromium chromium-driver >/dev/null
if ! command -v java >/dev/null 2>&1; then
    apt-get install -y -qq openjdk-17-jre-headless >/dev/null
fi

_ccdump_pg_version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
if ! pg_lsclusters -h | awk -v v="$_ccdump_pg_version" '$1 == v && $2 == "main" {found = 1} END {exit !found}'; then
    pg_createcluster "$_ccdump_pg_version" main >/dev/null
fi
if ! pg_ctlcluster "$_ccdump_pg_version" main status >/dev/null 2>&1; then
    pg_ctlcluster "$_ccdump_pg_version" main start
fi
_ccdump_pg_port="$(pg_lsclusters -h | awk -v v="$_ccdump_pg_version" '$1 == v && $2 == "main" {print $3}')"

# Wait (bounded) until the server accepts TCP connections.
for _ccdump_i in $(seq 1 60); do
    if pg_isready -q -h 127.0.0.1 -p "$_ccdump_pg_port"; then
        break
    fi
    if [ "$_ccdump_i" -eq 60 ]; then
        echo "services.sh: PostgreSQL did not start" >&2
        return 1 2>/dev/null || exit 1
    fi
    sleep 0.5
done

# A password role owning a test database; tests create and drop one schema each inside it.
runuser -u postgres -- psql -q -p "$_ccdump_pg_port" -v ON_ERROR_STOP=1 <<'SQL'
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ccdump') THEN
        CREATE ROLE ccdump LOGIN PASSWORD 'ccdump';
    END IF;
END
$$;
SQL
if [ "$(runuser -u postgres -- psql -p "$_ccdump_pg_port" -tAc "SELECT 1 FROM pg_database WHERE datname = 'ccdump_test'")" != "1" ]; then
    runuser -u postgres -- createdb -p "$_ccdump_pg_port" -O ccdump ccdump_test
fi

export CCDUMP_TEST_POSTGRES="postgresql://ccdump:ccdump@127.0.0.1:${_ccdump_pg_port}/ccdump_test"
export CCDUMP_CHROMIUM=/usr/bin/chromium
export CCDUMP_REQUIRE_SERVICES=1
unset _ccdump_pg_version _ccdump_pg_port _ccdump_i
