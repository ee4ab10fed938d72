#!/usr/bin/env bash
# Sets up sanfang-docs on a fresh Debian 12 machine with Python 3.11:
# system packages (fonts, the Fandol faces, LibreOffice for the DOCX check, poppler, qpdf, NSS tools, pandoc,
# tesseract for scan OCR, chromium for the web app's browser tests), then a virtualenv in .venv with the
# package and its test tools.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  fonts-noto-cjk fonts-arphic-ukai fonts-lxgw-wenkai fontconfig
  fonts-hanazono fonts-babelstone-han
  poppler-utils qpdf libnss3-tools
  libreoffice-writer-nogui
  libzbar0 pandoc
  tesseract-ocr tesseract-ocr-chi-sim
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

# The 公文 faces' free stand-ins (documents/fonts.py): FandolFang (仿宋), FandolHei (黑体),
# FandolKai (楷体), FandolSong (宋体) from Debian's texlive-lang-chinese. The package pulls in
# a whole TeX Live, so only its four regular OTF files are taken; the fontconfig file maps the
# official names the DOCX uses (仿宋_GB2312 …) to them for LibreOffice.
FANDOL_DIR=/usr/local/share/fonts/opentype/fandol
FC_CONF=/etc/fonts/conf.d/61-sanfang-official-faces.conf
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
if [ ! -f "$FANDOL_DIR/FandolFang-Regular.otf" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq texlive-lang-chinese && dpkg-deb -x texlive-lang-chinese_*.deb x)
  $SUDO mkdir -p "$FANDOL_DIR"
  $SUDO cp "$tmp"/x/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol/Fandol{Fang,Hei,Kai,Song}-Regular.otf "$FANDOL_DIR/"
  rm -rf "$tmp"
  $SUDO fc-cache -f "$FANDOL_DIR"
fi
cmp -s scripts/fontconfig/61-sanfang-official-faces.conf "$FC_CONF" ||
  $SUDO cp scripts/fontconfig/61-sanfang-official-faces.conf "$FC_CONF"

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"
echo "sanfang-docs 已安装：.venv/bin/sanfang"
