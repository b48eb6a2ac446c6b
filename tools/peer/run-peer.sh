#!/usr/bin/env bash
# The trainer-parity check against the PyTorch reference (issue 12 part 1); `nx run peer:parity` runs it.
#   tools/peer/run-peer.sh [--steps-only]
# 1. exports seed 0 with our trainer's first 50 step losses (ERM, SAM m = 128, 8-SAM), and seeds 1, 2;
# 2. runs the reference for 50 steps in float32 and float64 (the rounding envelope of the step-loss rule), with
#    deliberate variations (what the rule detects), and compares the state after step 1 tensor by tensor;
# 3. (unless --steps-only) trains ERM and 8-SAM 30 epochs for seeds 0, 1, 2 in PyTorch, one thread, nice 10,
#    one run at a time (ERM ~5 min, 8-SAM ~10-15 min each on an idle core);
# 4. writes reports/peer-parity/ (report.ts) from the results and our runs under runs/deep-nets/cpu.
# Finished results are kept in reports/peer-parity/torch/ and not recomputed; exports (45 MB per seed, ~20 s
# each) go to $SAM_REPRO_PEER_DIR (default ${TMPDIR:-/tmp}/sam-repro-peer). Needs PyTorch for /usr/bin/python3:
# installs Debian's python3-torch when run as root, otherwise stops with the command to run.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=/usr/bin/python3
STEPS_ONLY=0
for argument in "$@"; do
  case "$argument" in
    --steps-only) STEPS_ONLY=1 ;;
    *) echo "error: $argument: unknown option; allowed: --steps-only" >&2; exit 2 ;;
  esac
done
if ! "$PYTHON" -c "import torch" 2>/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y python3-torch >&2
  else
    echo "error: PyTorch is not installed for $PYTHON; install it with: sudo apt-get install -y python3-torch" >&2
    exit 2
  fi
fi
WORK="${SAM_REPRO_PEER_DIR:-${TMPDIR:-/tmp}/sam-repro-peer}"
RESULTS=reports/peer-parity/torch
mkdir -p "$WORK" "$RESULTS"
NODE=(node --conditions=@sam-repro/source --import tsx)

export_seed() { # seed [record]
  local seed=$1 record=${2:-}
  if [ ! -f "$WORK/export-s$seed/manifest.json" ]; then
    "${NODE[@]}" tools/peer/export.ts --seed "$seed" --out "$WORK/export-s$seed" ${record:+--record "$record"}
  fi
}

reference() { # out args... (the export comes after --export)
  local out=$1
  shift
  if [ ! -f "$out" ]; then
    local directory=${*##*--export }
    directory=${directory%% *}
    local seed=${directory##*export-s}
    # Our own first step losses are recorded for seed 0 only (the 50-step check).
    if [ "$seed" = 0 ]; then export_seed 0 erm,sam,msam8; else export_seed "$seed"; fi
    nice -n 10 "$PYTHON" tools/peer/train.py --out "$out" "$@"
  fi
}

for method in erm sam msam8; do
  if [ ! -f "$RESULTS/ours-steps-$method-s0.json" ]; then
    export_seed 0 erm,sam,msam8
    cp "$WORK/export-s0/ours-$method.json" "$RESULTS/ours-steps-$method-s0.json"
  fi
  reference "$RESULTS/steps-$method-s0.json" --export "$WORK/export-s0" --method "$method" --steps 50
  reference "$RESULTS/steps-$method-s0-f64.json" --export "$WORK/export-s0" --method "$method" --steps 50 --float64
done
# Weights and BatchNorm running statistics after step 1: ours vs PyTorch float32, and PyTorch float32 vs float64.
for method in erm sam msam8; do
  if [ ! -f "$RESULTS/state-after-1-$method-s0.json" ]; then
    export_seed 0 erm,sam,msam8
    "${NODE[@]}" tools/peer/state-after-steps.ts --export "$WORK/export-s0" --method "$method" --out "$WORK/state-ours-$method"
    reference "$RESULTS/state-after-1-$method-s0.json" --export "$WORK/export-s0" --method "$method" --steps 1 --compare-state "$WORK/state-ours-$method"
  fi
  if [ ! -f "$RESULTS/state-after-1-$method-s0-f32-vs-f64.json" ]; then
    export_seed 0 erm,sam,msam8
    nice -n 10 "$PYTHON" tools/peer/train.py --export "$WORK/export-s0" --method "$method" --steps 1 --dump-state "$WORK/state-torch32-$method" --out "$WORK/state-torch32-$method.json"
    reference "$RESULTS/state-after-1-$method-s0-f32-vs-f64.json" --export "$WORK/export-s0" --method "$method" --steps 1 --float64 --compare-state "$WORK/state-torch32-$method"
  fi
done
# What the rule detects: the reference with one deliberate difference in place of ours.
for variation in no-weight-decay:erm momentum-0.85:erm lr-previous-step:erm rho-0.09:sam ascent-without-weight-decay:sam; do
  name=${variation%%:*} method=${variation##*:}
  reference "$RESULTS/variation-$name-$method-s0.json" --export "$WORK/export-s0" --method "$method" --steps 50 --variation "$name"
done
if [ "$STEPS_ONLY" = 0 ]; then
  for method in erm msam8; do
    for seed in 0 1 2; do
      reference "$RESULTS/final-$method-s$seed.json" --export "$WORK/export-s$seed" --method "$method"
    done
  done
fi
"${NODE[@]}" tools/peer/report.ts
