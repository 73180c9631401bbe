#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright cannot download its own browsers here),
# plus fonts for emoji and CJK so the screenshots show what a projector would.
set -euo pipefail
packages=(chromium fonts-noto-color-emoji fonts-noto-cjk)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing ${missing[*]} with apt-get"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
