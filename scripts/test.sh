#!/usr/bin/env bash
# Runs every test project and ends with one plain summary line: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet test CheckoutAgent.sln --logger "console;verbosity=normal" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# The storage-heavy worker tests once more with the worker on PostgreSQL (a throwaway cluster the tests start): the
# HTTP API, webhooks and schedules. The store tests already ran on both engines; the cluster tests run the pipeline on
# PostgreSQL, and kill, freeze and restart nodes there, so the restart tests (minutes of child processes) are left out
# here. `make test-postgres` runs the whole worker suite this way.
echo
echo "== worker tests on PostgreSQL =="
CHECKOUT_AGENT_TEST_STORAGE=postgres dotnet test tests/CheckoutWorker.Tests --no-build --logger "console;verbosity=normal" \
  --filter "(FullyQualifiedName~.Service.|FullyQualifiedName~.Webhooks.|FullyQualifiedName~.Schedules.)&FullyQualifiedName!~.Service.RestartTests&TestCategory!=SqliteOnly&TestCategory!=Cluster" \
  2>&1 | tee -a "$log"
pg_status=${PIPESTATUS[0]}
if [ "$status" -eq 0 ]; then status=$pg_status; fi

# Each test project ends with "Total tests: N" then "     Passed: N", "     Failed: N", "    Skipped: N" lines.
read -r projects passed failed skipped < <(awk '
  /^Total tests: /            { t++ }
  /^[[:space:]]+Passed: [0-9]+$/  { p += $2 }
  /^[[:space:]]+Failed: [0-9]+$/  { f += $2 }
  /^[[:space:]]+Skipped: [0-9]+$/ { s += $2 }
  END { printf "%d %d %d %d\n", t, p, f, s }' "$log")
echo
echo "Test projects run: ${projects}"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # The build or a test host failed before any test could report: count that as a failure.
  failed=1
fi
if [ "$failed" -gt 0 ]; then
  # Named again at the end, where a CI excerpt of the last lines shows them, with the first lines of each message.
  echo "Failed tests:"
  awk '/^[[:space:]]+Failed .* \[[0-9<][^]]*\]$/ { print; n = 6; next } n > 0 { print; n-- }' "$log" | cut -c1-300
fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
