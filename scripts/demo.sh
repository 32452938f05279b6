#!/usr/bin/env bash
# Sets everything up and runs the main job on the built-in demo: fine-tunes the bundled tiny
# Llama-architecture model on the bundled instruction data with LoRA and prints the run folder.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$here/scripts/setup.sh" "$here/build"
exec "$here/build/app/cli/peft-studio-cli" demo "$@"
