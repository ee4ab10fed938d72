#!/usr/bin/env bash
# Sets up sanfang-docs on a fresh Debian 12 machine with Python 3.11:
# system packages (fonts, LibreOffice for the DOCX check, poppler, qpdf, NSS tools, pandoc,
# tesseract for scan OCR, chromium for the web app's browser tests), then a virtualenv in .venv with the package and its test tools.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  fonts-noto-cjk fonts-arphic-ukai fonts-lxgw-wenkai fontconfig
  poppler-utils qpdf libnss3-tools
  libreoffice-writer-nogui
  libzbar0 pandoc
  chromium
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"
echo "sanfang-docs 已安装：.venv/bin/sanfang"
