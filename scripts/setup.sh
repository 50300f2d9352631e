#!/usr/bin/env bash
# Install everything voice-companion needs on Debian/Ubuntu (system packages need root or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq python3 python3-venv python3-pip espeak-ng libespeak-ng1 sox libsndfile1 \
  libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins alsa-utils systemd >/dev/null
python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e ".[test,bench]"
