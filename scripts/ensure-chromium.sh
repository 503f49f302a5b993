#!/bin/sh
# The browser tests drive Debian's chromium (never a downloaded one): install it when missing.
# A no-op when it is there. As root (CI) a failed install fails; without root or sudo it only
# warns, and the browser tests say what is missing.
set -e
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "warning: chromium is missing and cannot be installed without root (apt-get install chromium)" >&2
  exit 0
fi
echo "installing chromium (for the browser tests)"
$SUDO apt-get install -y --no-install-recommends chromium \
  || { $SUDO apt-get update && $SUDO apt-get install -y --no-install-recommends chromium; }
