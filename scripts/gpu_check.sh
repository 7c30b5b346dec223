#!/usr/bin/env bash
# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
# One prepared check for a lent GPU (an H100 or H200), in under 8 minutes, printing one report:
#   1. the GPU, driver, torch;
#   2. scripts/benchmark.py's model rows at 224 px, fp32 and bf16 + channels_last side by side;
#   3. the README demo recipe with --bf16 on the GPU: its wall time and accuracy;
#   4. the tests that need CUDA (tests/test_engine.py -m cuda).
#
#   bash scripts/gpu_check.sh [OUT_DIR]        # the report is OUT_DIR/gpu_check.md (default $OUT, else outputs/)
#
# A rehearsal on a CPU, so that device minutes are not spent finding a broken script (tests/test_speed.py runs it):
#   BENCH_ARGS="--tiny" DEMO_ARGS="--max_train_samples 64 ..." bash scripts/gpu_check.sh OUT_DIR
#
# The GPU image has torch but not datasets, evaluate, fairlearn, …: carry them as wheels in .whl/ and install them
# with WHEELS=.whl (docs/benchmarks.md, "The GPU check", says which and how).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-${OUT:-outputs}}
mkdir -p "$out"
bench_args=${BENCH_ARGS:-"--sizes 224 --batch_size 256 --iterations 5"}  # the GPU rows; a rehearsal shrinks them
demo_args=${DEMO_ARGS:-}                                                 # appended to the README's demo flags
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 PYTHONUNBUFFERED=1 PYTHONPATH=".:${PYTHONPATH:-}"
if [ -n "${WHEELS:-}" ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "$WHEELS"/*.whl \
    || { echo "installing the wheels in $WHEELS failed" >&2; exit 1; }
  export PYTHONPATH="/tmp/site:$PYTHONPATH"
fi
demo_flags=$(python3 - <<'EOF'
import re
readme = open("README.md").read()
command = re.search(r"```bash\n(python run_classification\.py[^`]*?)```", readme).group(1)
print(" ".join(command.replace("\\\n", " ").split()[2:]))
EOF
)
section() { echo; echo "## $1"; echo; }
{
  echo "# GPU check, $(date -u +%F) (commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown))"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null \
    || echo "no nvidia-smi: not a GPU machine (a rehearsal on $(lscpu | sed -n 's/^Model name: *//p'))"
  python3 -c "import torch, transformers; print('torch', torch.__version__, '· transformers', transformers.__version__)"

  section "Models (scripts/benchmark.py $bench_args)"
  # shellcheck disable=SC2086  # one word each
  timeout 180 python3 scripts/benchmark.py $bench_args --skip_pipeline || echo "benchmark: failed or ran past 180 s"

  section "README demo recipe with --bf16 on the GPU"
  start=$(date +%s)
  # shellcheck disable=SC2086  # the README's flags, one word each
  timeout 240 python3 run_classification.py $demo_flags --bf16 --dataloader_num_workers 8 $demo_args --report_to none \
    --disable_tqdm true --overwrite_output_dir --output_dir "$out/gpu_demo" > "$out/gpu_demo.log" 2>&1 \
    || echo "demo: failed or ran past 240 s (the end of $out/gpu_demo.log follows)"
  echo "wall time: $(( $(date +%s) - start )) s"
  python3 -c "import json, sys; r = json.load(open(sys.argv[1])); print({k: round(v, 4) for k, v in r.items() \
if k in ('eval_accuracy', 'test_accuracy', 'train_runtime', 'train_samples_per_second')})" \
    "$out/gpu_demo/all_results.json" 2>/dev/null || tail -20 "$out/gpu_demo.log"

  section "Tests that need CUDA"
  timeout 120 python3 -m pytest -q -m cuda tests/test_engine.py -p no:cacheprovider 2>&1 | tail -5
} 2>&1 | tee "$out/gpu_check.md"
