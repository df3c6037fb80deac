#!/usr/bin/env bash
# Installs Debian's chromium when no Chromium is on this machine. Playwright's own browser download is never used.
set -euo pipefail

for candidate in /usr/bin/chromium chromium chromium-browser google-chrome; do
  if command -v "$candidate" >/dev/null 2>&1; then
    exit 0
  fi
done

if [ -n "${Browser__ExecutablePath:-}" ] && [ -x "${Browser__ExecutablePath}" ]; then
  exit 0
fi

echo "No Chromium found: installing Debian's chromium package..." >&2
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "error: Chromium is missing and this user cannot install packages." >&2
  echo "       Install it as root with: apt-get update && apt-get install -y chromium" >&2
  echo "       or point Browser__ExecutablePath at a Chromium binary." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium >/dev/null 2>&1 || { echo "error: apt-get finished but chromium is still not on PATH" >&2; exit 1; }
echo "Installed $(chromium --version 2>/dev/null || echo chromium)." >&2
