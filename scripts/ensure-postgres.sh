#!/usr/bin/env bash
# Installs Debian's postgresql when its server binaries are missing. The tests start their own throwaway cluster from
# them (tests/Shared/TestPostgres.cs); the packaged cluster is not used. Nothing to do when CHECKOUT_AGENT_TEST_POSTGRES
# names a server.
set -euo pipefail

if [ -n "${CHECKOUT_AGENT_TEST_POSTGRES:-}" ]; then
  exit 0
fi
if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
  exit 0
fi
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  exit 0
fi

echo "No PostgreSQL server binaries found: installing Debian's postgresql package..." >&2
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "error: PostgreSQL is missing and this user cannot install packages." >&2
  echo "       Install it as root with: apt-get update && apt-get install -y postgresql" >&2
  echo "       or set CHECKOUT_AGENT_TEST_POSTGRES to a connection string of a server where the user may create databases." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends postgresql >/dev/null
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "error: apt-get finished but initdb is still missing" >&2; exit 1; }
echo "Installed $(ls -d /usr/lib/postgresql/*/ | head -1)." >&2
