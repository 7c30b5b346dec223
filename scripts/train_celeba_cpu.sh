#!/usr/bin/env bash
# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
# Real CelebA on a 2-core CPU, from random weights: all 40 attributes at 112 px (IMAGE_SIZE), the uint8 cache, in
# bf16 + channels_last for 8 epochs where the CPU runs bf16 natively (avx512_bf16 or amx_bf16), else in fp32 for 4
# epochs with one line saying why: each about an hour a run. PRECISION=fp32 or PRECISION=bf16 chooses instead of the
# detection, EPOCHS another budget.
# Trains the plain ResNet-18 and the default model (and, with VARIANTS, the other rungs of the ablation ladder) for
# each seed, then compares every finished run of the seed in OUTPUT_DIR with the plain one on the official test
# split. In fp32 about an hour a run at 4 epochs on 2 cores (49–64 min logged; twice that on a CPU without AVX-512,
# 26 min an epoch); bf16 + channels_last trains 1.8–2.4× as fast (docs/benchmarks.md), so 8 epochs fit the hour
# (44–53 min logged, Intel Xeon). Results in docs/celeba.md.
#
#   bash scripts/train_celeba_cpu.sh /data/celeba                      # plain and default, seeds 0 and 1
#   SEEDS="0" VARIANTS="plain bilstm-queries attention bilstm-mean" bash scripts/train_celeba_cpu.sh /data/celeba
#   EPOCHS=1 SEEDS=1 bash scripts/train_celeba_cpu.sh /data/celeba outputs/celeba-cpu-1ep   # a smaller budget
#   PRECISION=fp32 bash scripts/train_celeba_cpu.sh /data/celeba outputs/celeba-cpu-fp32     # as before bf16 (4 epochs)
#   MAX_STEPS=150 bash scripts/train_celeba_cpu.sh /data/celeba outputs/try   # a short try (or a speed measurement)
#
# /data/celeba is the original release layout (img_align_celeba/, list_attr_celeba.txt, list_eval_partition.txt) or
# the Kaggle one; a partial release works too (rows without an image are left out). Rerunning skips finished runs
# and resumes interrupted ones; a folder begun with another budget or precision stops it with an error.
# CelebA is for non-commercial research only, and so are the models trained on it (the model card says so).
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.."
data_dir=${1:?usage: $0 CELEBA_DIR [OUTPUT_DIR]}
out=${2:-outputs/celeba-cpu}
SEEDS=${SEEDS:-"0 1"}
VARIANTS=${VARIANTS:-"plain bilstm-queries"}
IMAGE_SIZE=${IMAGE_SIZE:-112}
steps=${MAX_STEPS:+--max_steps $MAX_STEPS}  # instead of EPOCHS, when set
case "${PRECISION:-auto}" in
  auto) engine=$(python -m face_attributes.engine) ;;  # prints why on stderr when it is fp32
  bf16) engine="--bf16 --channels_last" ;;
  fp32) engine="" ;;
  *) echo "PRECISION is auto, bf16 or fp32, not ${PRECISION}" >&2; exit 2 ;;
esac
# The budget that fits about an hour a run on 2 cores: bf16 trains 1.8–2.4× as fast, so it gets twice the epochs;
# fp32 keeps the 4 it always had, so the results trained before bf16 still come out of PRECISION=fp32.
if [ -n "$engine" ]; then EPOCHS=${EPOCHS:-8}; else EPOCHS=${EPOCHS:-4}; fi
echo "Training with: ${engine:-fp32}, ${MAX_STEPS:+$MAX_STEPS steps instead of }$EPOCHS epochs"
recipe=(
  --data_dir "$data_dir" --label_columns all --backbone_name_or_path none --image_size "$IMAGE_SIZE" $engine $steps
  --preprocessing_cache --augmentation margin_crop --preprocessing_num_workers 2 --num_train_epochs "$EPOCHS"
  --per_device_train_batch_size 64 --per_device_eval_batch_size 128
  --learning_rate 1e-3 --weight_decay 0.05 --lr_scheduler_type cosine --warmup_steps 70
  --eval_strategy epoch --save_strategy epoch --save_total_limit 1 --logging_steps 50
  --report_to none --disable_tqdm true --do_predict
)
ladder=(plain)  # the baseline every comparison needs, trained (or skipped, if finished) first
for variant in $VARIANTS; do [ "$variant" = plain ] || ladder+=("$variant"); done
python scripts/ablation.py --output_dir "$out" --seeds $SEEDS --variants "${ladder[@]}" -- "${recipe[@]}"
# Every finished run of the seed in $out, not only this call's VARIANTS: a rerun for one more rung keeps the
# comparisons made before it in compare_seedN.md.
for seed in $SEEDS; do
  others=()
  for run in "$out"/*/"seed$seed"; do
    [ "$run" = "$out/plain/seed$seed" ] && continue
    if [ -f "$run/predictions.csv" ]; then others+=("$run"); else echo "not compared, unfinished: $run"; fi
  done
  [ ${#others[@]} -eq 0 ] || python scripts/compare_runs.py --data_dir "$data_dir" --baseline "$out/plain/seed$seed" \
    --runs "${others[@]}" --output "$out/compare_seed$seed.md"
done
