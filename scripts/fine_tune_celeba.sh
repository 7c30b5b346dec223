#!/usr/bin/env bash
# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
# Does a CelebA body help a small new task? The default model trained on 20 of CelebA's 40 attributes (A), then
# fine-tuned on the other 20 (B) from 500 and 2,000 training images, against the same model from random weights on
# the same images; each pair compared on the official test split with paired intervals (scripts/compare_runs.py).
#
#   bash scripts/fine_tune_celeba.sh /data/celeba outputs/fine-tune    # SIZES="500 2000", SEEDS="0 1", ATTRIBUTES
#
# A: the even-numbered attributes of list_attr_celeba.txt's order (5_o_Clock_Shadow, Attractive, Bald, …); B: the
# odd-numbered ones (Arched_Eyebrows, Bags_Under_Eyes, Bangs, …): each half has local and global attributes. The
# CPU recipe's settings (112 px, the uint8 cache with margin_crop, AdamW 1e-3, cosine; bf16 + channels_last where
# the CPU runs bf16 natively); A for PRETRAIN_EPOCHS (1), each B run for 20 epochs of 500 images or 10 of 2,000
# (157 and 313 steps). Both arms of a pair draw the same training images (--max_train_samples with the same seed). Finished
# runs are skipped. CelebA is for non-commercial research only, and so are the models trained on it.
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.."
data_dir=${1:?usage: $0 CELEBA_DIR [OUTPUT_DIR]}
out=${2:-outputs/fine-tune}
SIZES=${SIZES:-"500 2000"}
SEEDS=${SEEDS:-"0 1"}
PRETRAIN_EPOCHS=${PRETRAIN_EPOCHS:-1}
engine=$(python -m face_attributes.engine)
# The attributes to split (default: CelebA's 40, in list_attr_celeba.txt's order).
read -r -a attributes <<< "${ATTRIBUTES:-$(python -c 'from face_attributes.data.sources import CELEBA_ATTRIBUTES as a; print(*a)')}"
A=() B=()
for i in "${!attributes[@]}"; do if (( i % 2 == 0 )); then A+=("${attributes[$i]}"); else B+=("${attributes[$i]}"); fi; done
common=(
  --data_dir "$data_dir" --backbone_name_or_path none --image_size 112 $engine
  --preprocessing_cache --augmentation margin_crop --preprocessing_num_workers 2
  --per_device_train_batch_size 64 --per_device_eval_batch_size 128
  --learning_rate 1e-3 --weight_decay 0.05 --lr_scheduler_type cosine
  --eval_strategy no --save_strategy no --logging_steps 50 --report_to none --disable_tqdm true
  --do_train --do_eval --do_predict
)
train() {  # OUTPUT_DIR, then run_classification.py flags; skipped when finished
  local dir=$1; shift
  if [ -f "$dir/all_results.json" ]; then echo "finished: $dir"; return; fi
  mkdir -p "$dir"
  python run_classification.py "${common[@]}" --output_dir "$dir" "$@" > "$dir/train.log" 2>&1 \
    || { echo "failed: $dir (see $dir/train.log)" >&2; exit 1; }
  echo "trained: $dir"
}
train "$out/body-A/seed0" --label_columns "${A[@]}" --num_train_epochs "$PRETRAIN_EPOCHS" --warmup_steps 70 --seed 0
for size in $SIZES; do
  epochs=$(( size <= 500 ? 20 : 10 ))
  for seed in $SEEDS; do
    task=(--label_columns "${B[@]}" --max_train_samples "$size" --num_train_epochs "$epochs" --warmup_steps 0.1 --seed "$seed")
    train "$out/B-$size/scratch/seed$seed" "${task[@]}"
    train "$out/B-$size/fine-tuned/seed$seed" "${task[@]}" --model_name_or_path "$out/body-A/seed0"
    python scripts/compare_runs.py --data_dir "$data_dir" --baseline "$out/B-$size/scratch/seed$seed" \
      --runs "$out/B-$size/fine-tuned/seed$seed" --output "$out/compare-B-$size-seed$seed.md"
  done
done
