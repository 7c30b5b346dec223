#!/usr/bin/env bash
# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
# Runs transformers' own common model tests on this model, out of tree, from the installed version's sdist.
#   bash tests/upstream/run.sh                       # the whole upstream suite
#   bash tests/upstream/run.sh -k gradient_checkpointing
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=$(python -c "import transformers; print(transformers.__version__)")
work=${UPSTREAM_TESTS_DIR:-$HOME/.cache/face-attributes/transformers-$version-tests}
if [ ! -f "$work/transformers_tests/test_modeling_common.py" ]; then
  tmp=$(mktemp -d)
  python -m pip download -q --no-deps --no-binary :all: "transformers==$version" -d "$tmp"
  tar -xzf "$tmp"/transformers-"$version".tar.gz -C "$tmp"
  mkdir -p "$work/transformers_tests/exporters" "$work/transformers_tests/generation"
  cp "$tmp/transformers-$version/tests/test_modeling_common.py" "$work/transformers_tests/"
  touch "$work/transformers_tests/__init__.py" "$work/transformers_tests/exporters/__init__.py" \
    "$work/transformers_tests/generation/__init__.py"
  # The sdist leaves out these two mixins' modules; this model neither exports through them nor generates.
  echo "class ExportTesterMixin: pass" > "$work/transformers_tests/exporters/test_export.py"
  echo "class GenerationTesterMixin: pass" > "$work/transformers_tests/generation/test_utils.py"
  rm -rf "$tmp"
fi
python -c "import parameterized" 2>/dev/null || python -m pip install -q parameterized
cd "$here"
PYTHONPATH="$work${PYTHONPATH:+:$PYTHONPATH}" HF_HUB_OFFLINE=1 python -m pytest -q -p no:cacheprovider \
  --rootdir "$here" test_transformers_common.py "$@"
