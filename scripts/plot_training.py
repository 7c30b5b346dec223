#!/usr/bin/env python
# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Training curves: trainer_state.json → PNG of training loss and eval metrics over steps.

python scripts/plot_training.py outputs/synthetic            # reads outputs/synthetic/trainer_state.json
"""

import argparse
import os

from face_attributes.visualize import plot_training


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", help="An output folder or checkpoint (or the trainer_state.json itself).")
    parser.add_argument("--output", help="PNG to write (default: training_curves.png beside the state).")
    args = parser.parse_args(argv)
    state = args.run if args.run.endswith(".json") else os.path.join(args.run, "trainer_state.json")
    if not os.path.exists(state):
        parser.error(f"{state} not found: pass a run_classification.py output folder or a checkpoint folder.")
    output = args.output or os.path.join(os.path.dirname(state), "training_curves.png")
    series = plot_training(state, output)
    print(f"Wrote {output} ({', '.join(series) or 'nothing logged'})")


if __name__ == "__main__":
    main()
