#!/usr/bin/env bash
# Sets up (first time) and runs the server with the demo meeting; prints every join link.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/bootstrap.sh
exec .venv/bin/python server.py --demo "$@"
