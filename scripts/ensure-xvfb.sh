#!/usr/bin/env bash
# Installs Debian's xvfb when missing: the recipe-recording tests run a headed Chromium (recipe record) on a virtual
# display, started by the tests themselves when DISPLAY is not set.
set -euo pipefail

if command -v Xvfb >/dev/null 2>&1 || [ -x /usr/bin/Xvfb ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "error: Xvfb is missing and this user cannot install packages." >&2
  echo "       Install it as root with: apt-get update && apt-get install -y xvfb" >&2
  exit 1
fi
echo "Installing Debian's xvfb..." >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends xvfb >/dev/null
if ! [ -x /usr/bin/Xvfb ]; then
  echo "error: apt-get finished but Xvfb is not installed" >&2
  exit 1
fi
echo "Installed xvfb." >&2
