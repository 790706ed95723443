#!/usr/bin/env bash
# Everything node-ipvs needs on a fresh Debian/Ubuntu machine: the system
# packages (libnl for the addon, user-mode-linux for the sandbox kernel,
# ipvsadm as the tests' reference), the npm packages, and the build.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  user-mode-linux kmod iproute2 ipvsadm util-linux valgrind   # sandbox kernel and test tools
  libnl-3-dev libnl-genl-3-dev libnl-route-3-dev pkg-config g++ make python3   # the addon's build
)

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

# npm install, not npm ci: npm 11 writes lock files without the other platforms'
# optional packages (rollup's), which npm ci then refuses; install keeps the
# locked versions and fills that in. Scripts are skipped: the build follows.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --ignore-scripts --no-audit --no-fund
fi
npm run build --silent
