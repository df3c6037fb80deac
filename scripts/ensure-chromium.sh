#!/usr/bin/env bash
# Installs Debian's chromium and chromium-headless-shell when missing. Headless runs use the headless shell (about half
# the CPU per checkout of the full browser); headed runs, and machines that have only chromium, use chromium.
# Playwright's own browser download is never used.
set -euo pipefail

if [ -n "${Browser__ExecutablePath:-}" ] && [ -x "${Browser__ExecutablePath}" ]; then
  exit 0
fi

have_full=false
for candidate in /usr/bin/chromium chromium chromium-browser google-chrome; do
  if command -v "$candidate" >/dev/null 2>&1; then
    have_full=true
    break
  fi
done
have_shell=false
if command -v chromium-headless-shell >/dev/null 2>&1 || [ -x /usr/bin/chromium-headless-shell ]; then
  have_shell=true
fi
if $have_full && $have_shell; then
  exit 0
fi

packages=()
$have_full || packages+=(chromium)
$have_shell || packages+=(chromium-headless-shell)

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  if $have_full || $have_shell; then
    # One of the two is enough to run; the other is a speed-up (or what a headed run needs).
    echo "note: ${packages[*]} not installed and this user cannot install packages; using what is there." >&2
    echo "      Install it as root with: apt-get install -y ${packages[*]}" >&2
    exit 0
  fi
  echo "error: Chromium is missing and this user cannot install packages." >&2
  echo "       Install it as root with: apt-get update && apt-get install -y chromium chromium-headless-shell" >&2
  echo "       or point Browser__ExecutablePath at a Chromium binary." >&2
  exit 1
fi
echo "Installing Debian's ${packages[*]}..." >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}" fonts-dejavu-core >/dev/null
if ! command -v chromium >/dev/null 2>&1 && ! [ -x /usr/bin/chromium-headless-shell ]; then
  echo "error: apt-get finished but neither chromium nor chromium-headless-shell is installed" >&2
  exit 1
fi
echo "Installed ${packages[*]}." >&2
