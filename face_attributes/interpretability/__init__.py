# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Where the model looks, measured: maps on the token grid, placed over the image, scored against each attribute's
region of the face (pointing game, energy, deletion).

Maps come from the model's own attention (`compute_attention_maps`), from each position's contribution to the
logit (`contribution_maps`: attention weight × what the value there says about the attribute) or, for a model
without attention such as the plain ResNet, from Grad-CAM (`grad_cam_maps`), so all go through the same scoring. A
face to score is anything with an `image` and `boxes` (attribute → one box or a list of boxes in the image's pixels):
the synthetic faces know theirs, real CelebA crops get theirs from five detected landmarks (`landmark_regions`).

`maps` makes the maps, `regions` the regions, `scores` the pointing game and energy, `deletion` the deletion test,
`probe` a linear probe of where an attribute can be read at all (on faces that carry their labels).
"""

from .deletion import (
    DELETION_FILLS,
    DELETION_SHARE,
    deletion_table,
    deletion_test,
    effect_ratio,
    most_correlated,
    occlude,
)
from .maps import (
    METHODS,
    attribute_maps,
    compute_attention_maps,
    contribution_maps,
    grad_cam_maps,
    token_centres,
    upsample_to_image,
)
from .probe import linear_probe_auc, probe_attention_grid, probe_table
from .regions import (
    FACE_PART_OF,
    LOCAL_PARTS,
    Box,
    RegionFace,
    face_part_boxes,
    landmark_regions,
    normalized_part_boxes,
    points_at,
    region_mask,
)
from .scores import (
    POINTING_TARGET,
    POINTING_TOLERANCE,
    attention_score_table,
    energy_target,
    meets_targets,
    score_attention,
)

__all__ = [
    "DELETION_FILLS",
    "DELETION_SHARE",
    "deletion_table",
    "deletion_test",
    "effect_ratio",
    "most_correlated",
    "occlude",
    "METHODS",
    "attribute_maps",
    "compute_attention_maps",
    "contribution_maps",
    "grad_cam_maps",
    "token_centres",
    "upsample_to_image",
    "linear_probe_auc",
    "probe_attention_grid",
    "probe_table",
    "FACE_PART_OF",
    "LOCAL_PARTS",
    "Box",
    "RegionFace",
    "face_part_boxes",
    "normalized_part_boxes",
    "landmark_regions",
    "points_at",
    "region_mask",
    "POINTING_TARGET",
    "POINTING_TOLERANCE",
    "attention_score_table",
    "energy_target",
    "meets_targets",
    "score_attention",
]
