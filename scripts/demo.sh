#!/usr/bin/env bash
# The main job on the example photos: enqueue, one worker, status, and two searches.
# Uses the tiny test model, so it runs offline; pass IDX_MODEL to use a real CLIP folder.
set -euo pipefail
cd "$(dirname "$0")/.."

export IDX_MODEL="${IDX_MODEL:-test/fixtures/tiny-clip}"
export IDX_DATA_DIR="${IDX_DATA_DIR:-.idx/demo}"
export IDX_QUEUE="${IDX_QUEUE:-demo}"
idx() { node bin/idx.js "$@"; }

idx enqueue --manifest examples/products/manifest.csv

# With Redis the images are queued and a worker indexes them; without it, enqueue has
# already indexed them synchronously and said so, and status (which reads the queue in
# Redis) has nothing to report.
if idx status --json | grep -q '"available":true'; then
  idx work --worker-id demo-1 --until-idle
  idx status
fi

idx search --image examples/products/hat/2a12baab-f020-42e3-8e6b-5d82e3ed0b55.jpg --limit 3
idx search --text "a summer dress" --limit 3
