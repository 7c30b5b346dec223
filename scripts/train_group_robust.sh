#!/usr/bin/env bash
# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
# Sagawa et al.'s benchmark on real CelebA, 2-core CPU recipe from random weights: the default model learns
# Blond_Hair alone, with Male as the group column, by ordinary training (erm) and with group-balanced sampling
# (balanced), for each seed; then scripts/compare_runs.py pairs them on the test split's four cells.
# About 15–30 min a run at 1 epoch on 2 cores (docs/fairness.md has the times).
#
#   bash scripts/train_group_robust.sh /data/celeba                          # seeds 1 and 2, 1 epoch
#   EPOCHS=4 SEEDS="1 2 3" bash scripts/train_group_robust.sh /data/celeba outputs/blond-male-4ep
#
# Rerunning skips finished runs. CelebA is for non-commercial research only, and so are models trained on it.
set -euo pipefail
cd "$(dirname "$0")/.."
data_dir=${1:?usage: $0 CELEBA_DIR [OUTPUT_DIR]}
out=${2:-outputs/blond-male}
SEEDS=${SEEDS:-"1 2"}
EPOCHS=${EPOCHS:-1}
recipe=(
  --data_dir "$data_dir" --label_columns Blond_Hair --group_columns Male --backbone_name_or_path none --image_size 112
  --preprocessing_cache --augmentation margin_crop --preprocessing_num_workers 2 --num_train_epochs "$EPOCHS"
  --per_device_train_batch_size 64 --per_device_eval_batch_size 128 --learning_rate 1e-3 --weight_decay 0.05
  --lr_scheduler_type cosine --warmup_steps 70 --eval_strategy epoch --save_strategy epoch --save_total_limit 1
  --logging_steps 50 --report_to none --disable_tqdm true --do_predict
)
python scripts/ablation.py --output_dir "$out" --seeds $SEEDS \
  --variants "erm=--group_sampling none" "balanced=--group_sampling balanced" -- "${recipe[@]}"
for seed in $SEEDS; do
  python scripts/compare_runs.py --data_dir "$data_dir" --baseline "$out/erm/seed$seed" \
    --runs "$out/balanced/seed$seed" --group_columns Male --output "$out/compare_seed$seed.md"
done
