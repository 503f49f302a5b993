#!/bin/sh
# The browser tests drive Debian's chromium (never a downloaded one): install it when missing.
# A no-op when it is there; needs root (CI) or sudo.
set -e
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
echo "installing chromium (for the browser tests)"
$SUDO apt-get install -y --no-install-recommends chromium \
  || { $SUDO apt-get update && $SUDO apt-get install -y --no-install-recommends chromium; }
