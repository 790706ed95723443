#!/usr/bin/env bash
# Everything node-ipvs needs on a fresh Debian/Ubuntu machine: the system
# packages of scripts/packages.txt (libnl for the addon, user-mode-linux for the
# sandbox kernel, ipvsadm as the tests' reference), the npm packages exactly as
# package-lock.json pins them, and the build.
#   scripts/setup.sh          install what is missing, then build
#   scripts/setup.sh --list   print the system packages it ensures, one a line
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t PACKAGES < <(sed 's/#.*//' scripts/packages.txt | awk 'NF >= 2 { print $2 }')
if [ "${1:-}" = "--list" ]; then
  printf '%s\n' "${PACKAGES[@]}"
  exit 0
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# npm ci: exactly the locked versions, or a clear failure when package.json and
# the lock disagree. Skipped when node_modules already matches the lock (npm
# writes node_modules/.package-lock.json last). Install scripts are skipped:
# the build follows.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
   || [ package.json -nt node_modules/.package-lock.json ]; then
  npm ci --ignore-scripts --no-audit --no-fund
fi
npm run build --silent
