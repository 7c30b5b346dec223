#!/usr/bin/env python
# Copyright 2026 The face-attributes Authors. All rights reserved.
# SPDX-License-Identifier: MIT
"""Train, evaluate and predict facial attributes with the ResNet → BiLSTM → attention model and 🤗 Trainer.

    python run_classification.py --dataset_name synthetic --output_dir outputs/demo --do_train --do_eval
    accelerate launch --multi_gpu --num_processes 8 run_classification.py --label_columns all --bf16 ...

Any argument can also come from a single JSON or YAML file: `python run_classification.py args.json`.
"""

import dataclasses
import json
import logging
import os
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import datasets
import numpy as np
import torch
import transformers
from datasets import Image as ImageFeature
from transformers import (
    AutoConfig,
    AutoModelForImageClassification,
    HfArgumentParser,
    ResNetConfig,
    Trainer,
    TrainingArguments,
    set_seed,
)
from transformers.utils.auto_docstring import parse_docstring

from face_attributes import ResNetLstmAttentionConfig, ResNetLstmAttentionForImageClassification
from face_attributes.configuration_resnet_lstm_attention import RESNET18_BACKBONE
from face_attributes.data.images import (
    collate,
    drop_unreadable_images,
    eval_transform,
    image_processor_for,
    make_batch_transform,
)
from face_attributes.data.labels import config_label_names, make_splits, normalize_labels, resolve_label_columns
from face_attributes.data.sources import describe_source, is_celeba, load_source, source_kind
from face_attributes.inference.predictions import write_predictions_csv
from face_attributes.inference.temperatures import (
    TEMPERATURES_FILE,
    calibrated_probabilities,
    load_temperatures,
    save_temperatures,
)
from face_attributes.inference.thresholds import has_saved_thresholds, load_thresholds, save_thresholds
from face_attributes.training.arguments import AttributeTrainingArguments
from face_attributes.training.augmentation import (
    AUGMENTATIONS,
    MarginCropAugment,
    resized_crop_transform,
    resolve_augmentation,
)
from face_attributes.training.calibration import (
    calibration_metrics,
    expected_calibration_errors,
    fit_temperatures,
    write_reliability,
)
from face_attributes.training.checkpoints import (
    checkpoint_problem,
    find_resumable_checkpoint,
    finished_model_source,
    finished_steps,
)
from face_attributes.training.group_metrics import (
    check_group_columns,
    group_metric_table,
    summary_metrics,
    write_group_tables,
)
from face_attributes.training.group_sampling import group_balanced_sampler
from face_attributes.training.map_prior import RegionBoxes, check_map_prior, training_regions
from face_attributes.training.metrics import choose_thresholds, make_compute_metrics, sigmoid, write_attribute_table
from face_attributes.training.model_card import DataSource, write_model_card
from face_attributes.training.model_options import (
    freeze_backbone_stages,
    freeze_body,
    load_with_new_labels,
    positive_weights,
)
from face_attributes.training.seeded_augmentation import EpochToDataset, SeededAugmentation
from face_attributes.training.trainer import AttributeTrainer
from face_attributes.training.uint8_cache import Uint8BatchCollator, build_uint8_cache, set_uint8_transforms

logger = logging.getLogger(__name__)


@dataclass
class LoadingArguments:
    model_name_or_path: str | None = field(
        default=None,
        metadata={
            "help": "Continue from a saved model folder or Hub repo instead of a new model. With other "
            "--label_columns than it was trained on, its body is kept and each new label gets a new head."
        },
    )
    backbone_name_or_path: str = field(
        default="microsoft/resnet-18",
        metadata={
            "help": "ImageNet ResNet-18 weights for a new model: Hub id or a save_pretrained folder; "
            "'none' starts from random weights."
        },
    )
    backbone_config: str | None = field(
        default=None,
        metadata={
            "help": "A backbone config (a folder with config.json, or a JSON file) of any AutoBackbone type, e.g. "
            "ConvNeXt, for a new model; default: ResNet-18's layout, or the layout of a local "
            "--backbone_name_or_path folder."
        },
    )
    backbone_embedding_size: int | None = field(default=None, metadata={"help": "Backbone stem width (tiny tests)."})
    backbone_hidden_sizes: list[int] | None = field(default=None, metadata={"help": "Backbone stage widths."})
    backbone_depths: list[int] | None = field(default=None, metadata={"help": "Blocks per backbone stage."})
    backbone_stage: str = field(
        default=RESNET18_BACKBONE["out_features"][-1], metadata={"help": "Backbone stage whose map becomes tokens."}
    )
    freeze_stages: list[str] = field(
        default_factory=list,
        metadata={"help": "Backbone stages to freeze, e.g. `stem stage1` (the original Colab version)."},
    )
    freeze_body: bool = field(
        default=False,
        metadata={
            "help": "Train the label heads only (each label's query and classifier row), e.g. when fine-tuning a "
            "trained --model_name_or_path on new --label_columns: the backbone, sequence encoder and attention "
            "projections stay as they are."
        },
    )
    pos_weight_from_data: bool = field(
        default=False, metadata={"help": "Weigh positives by negatives/positives of the train split in the BCE loss."}
    )
    cache_dir: str | None = field(default=None, metadata={"help": "Where downloaded models and datasets are cached."})
    model_revision: str = field(default="main", metadata={"help": "Model revision (branch, tag or commit)."})
    token: str | None = field(default=None, metadata={"help": "Hub token (or `hf auth login`)."})
    trust_remote_code: bool = field(
        default=True, metadata={"help": "Load model code saved beside a checkpoint (this model's own files)."}
    )
    overwrite_output_dir: bool = field(
        default=False, metadata={"help": "Train from scratch even when --output_dir holds checkpoints to resume from."}
    )


NO_BACKBONE_WEIGHTS = ("none", "random", "")  # --backbone_name_or_path values that mean random weights


def config_docstring_help(config_class) -> dict[str, str]:
    """{field: its help} from the config's `Args:` docstring, read by transformers' own parser of that format (the one
    `auto_docstring` uses), so re-indenting or re-wrapping the docstring changes nothing."""
    documented, _ = parse_docstring(config_class.__doc__)
    return {name: " ".join(doc["description"].split()) for name, doc in documented.items()}


CONFIG_HELP = config_docstring_help(ResNetLstmAttentionConfig)
CONFIG_DEFAULTS = {f.name: f.default for f in dataclasses.fields(ResNetLstmAttentionConfig)}


def config_flag(name: str):
    """The flag for the config field `name`: the config's default and the config docstring's help, so the config stays
    the one place where a model option is defined, documented and validated."""
    return field(default=CONFIG_DEFAULTS[name], metadata={"help": CONFIG_HELP.get(name, "")})


@dataclass
class ModelArguments(LoadingArguments):
    """The config's fields as flags (a test checks that every field the config declares is here)."""

    sequence_encoder: str = config_flag("sequence_encoder")
    lstm_hidden_size: int = config_flag("lstm_hidden_size")
    lstm_num_layers: int = config_flag("lstm_num_layers")
    lstm_bidirectional: bool = config_flag("lstm_bidirectional")
    lstm_dropout: float = config_flag("lstm_dropout")
    sequence_residual: bool = config_flag("sequence_residual")
    position_encoding: bool = config_flag("position_encoding")
    num_attention_heads: int = config_flag("num_attention_heads")
    attention_dropout: float = config_flag("attention_dropout")
    value_stage: str = config_flag("value_stage")
    attention_grid: str = config_flag("attention_grid")
    attention_keys: str = config_flag("attention_keys")
    attention_normalization: str = config_flag("attention_normalization")
    pooling: str = config_flag("pooling")
    classifier_dropout: float = config_flag("classifier_dropout")
    image_size: int = config_flag("image_size")


# The config fields above; the others (backbone_config, pos_weight) are set by the loading flags.
LOADING_FLAGS = {f.name for f in dataclasses.fields(LoadingArguments)}
CONFIG_FLAGS = [f.name for f in dataclasses.fields(ModelArguments) if f.name not in LOADING_FLAGS]


@dataclass
class DataTrainingArguments:
    dataset_name: str | None = field(
        default="flwrlabs/celeba",
        metadata={"help": "Hub dataset id, a local parquet/save_to_disk folder, or 'synthetic' (built-in faces)."},
    )
    dataset_config_name: str | None = field(default=None, metadata={"help": "Dataset configuration name."})
    dataset_revision: str | None = field(default=None, metadata={"help": "Dataset revision."})
    data_dir: str | None = field(
        default=None, metadata={"help": "The original CelebA release folder, the Kaggle layout, or an image folder."}
    )
    train_dir: str | None = field(default=None, metadata={"help": "Image folder (with metadata.csv) for training."})
    validation_dir: str | None = field(default=None, metadata={"help": "Image folder for validation."})
    image_column: str = field(default="image", metadata={"help": "Column holding the images."})
    label_columns: list[str] = field(
        default_factory=lambda: ["Male"], metadata={"help": "Attribute columns to learn, or `all` (40 for CelebA)."}
    )
    group_columns: list[str] = field(
        default_factory=list,
        metadata={
            "help": "Label columns that define groups, e.g. `Male Young`: evaluation and prediction add, per attribute "
            "and group, accuracy, TPR, FPR and positive rate, their largest gaps and the worst group's accuracy "
            "(<split>_group_metrics.csv/.json; means in all_results.json; the largest gaps in the model card)."
        },
    )
    calibrate: str = field(
        default="none",
        metadata={
            "help": "`temperature`: fit one temperature per attribute on validation (--do_eval), saved as "
            "temperatures.json; the folder's probabilities become sigmoid(logit / T) everywhere (pipeline, "
            "predict.py, web demo, ONNX), and evaluation adds the ECE after scaling (`<split>_calibrated_ece`).",
            "choices": ["none", "temperature"],
        },
    )
    group_sampling: str = field(
        default="none",
        metadata={
            "help": "`balanced`: draw training images so that every group of --group_columns × --group_target is "
            "equally likely (upsampling the rare ones, as in Sagawa et al. 2020); `none`: ordinary shuffling.",
            "choices": ["none", "balanced"],
        },
    )
    group_target: str | None = field(
        default=None,
        metadata={
            "help": "The attribute crossed with --group_columns for --group_sampling (default: the first label)."
        },
    )
    validation_split_percentage: float = field(
        default=20.0, metadata={"help": "Percent of train carved out (stratified) when there is no validation split."}
    )
    subset_percentage: float | None = field(
        default=None,
        metadata={
            "help": "Use a stratified P%% of the train split, cut into train/validation by "
            "--validation_split_percentage (the original Colab workflow: P=1, 80/20)."
        },
    )
    max_train_samples: int | None = field(default=None, metadata={"help": "Stratified subset of train."})
    max_eval_samples: int | None = field(default=None, metadata={"help": "Stratified subset of validation."})
    max_predict_samples: int | None = field(default=None, metadata={"help": "Stratified subset of test."})
    preprocessing_num_workers: int | None = field(default=None, metadata={"help": "Processes for the image check."})
    strict_images: bool = field(
        default=False, metadata={"help": "Stop on unreadable images instead of dropping them with a warning."}
    )
    preprocessing_cache: bool = field(
        default=False,
        metadata={
            "help": "Decode and resize every image once into a memory-mapped uint8 cache (fast input pipeline; "
            "docs/benchmarks.md). It trains with --augmentation margin_crop only: the same batches as margin_crop "
            "without the cache."
        },
    )
    augmentation: str | None = field(
        default=None,
        metadata={
            "help": "The training augmentation (docs/training.md): "
            + "; ".join(f"`{name}`: {what}" for name, what in AUGMENTATIONS.items())
            + ". Default: resized_crop, or margin_crop with --preprocessing_cache (what each did before this flag).",
            "choices": list(AUGMENTATIONS),
        },
    )

    def __post_init__(self):
        if not (self.dataset_name or self.data_dir or self.train_dir):
            raise ValueError("Pass --dataset_name, --data_dir or --train_dir.")
        if not 0 <= self.validation_split_percentage < 100:
            raise ValueError("--validation_split_percentage must be in [0, 100).")
        self.augmentation = resolve_augmentation(self.augmentation, self.preprocessing_cache)
        if self.group_sampling != "none" and not self.group_columns:
            raise ValueError(f"--group_sampling {self.group_sampling} needs --group_columns (e.g. `Male`).")


def parse_args(argv: list[str] | None):
    parser = HfArgumentParser((ModelArguments, DataTrainingArguments, AttributeTrainingArguments))
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 1 and argv[0].endswith(".json"):
        return parser.parse_json_file(os.path.abspath(argv[0])), argv
    if len(argv) == 1 and argv[0].endswith((".yaml", ".yml")):
        return parser.parse_yaml_file(os.path.abspath(argv[0])), argv
    return parser.parse_args_into_dataclasses(args=argv), argv


def build_model(model_args: ModelArguments, label_names: list[str], train_labels: np.ndarray | None):
    id2label = dict(enumerate(label_names))
    pos_weight = positive_weights(train_labels) if model_args.pos_weight_from_data else None
    if model_args.model_name_or_path:
        hub = dict(
            cache_dir=model_args.cache_dir,
            revision=model_args.model_revision,
            token=model_args.token,
            trust_remote_code=model_args.trust_remote_code,
        )
        config = AutoConfig.from_pretrained(model_args.model_name_or_path, **hub)
        if config_label_names(config) != label_names:
            return load_with_new_labels(model_args.model_name_or_path, config, label_names, pos_weight, **hub)
        if pos_weight is not None:
            config.pos_weight = pos_weight
        return AutoModelForImageClassification.from_pretrained(model_args.model_name_or_path, config=config, **hub)

    config = ResNetLstmAttentionConfig(
        backbone_config=backbone_config_for(model_args),
        **{name: getattr(model_args, name) for name in CONFIG_FLAGS},
        pos_weight=pos_weight,
        id2label=id2label,
        label2id={name: i for i, name in id2label.items()},
        problem_type="multi_label_classification",
    )
    model = ResNetLstmAttentionForImageClassification(config)
    if model_args.backbone_name_or_path.lower() not in NO_BACKBONE_WEIGHTS:
        model.load_pretrained_backbone(
            model_args.backbone_name_or_path, cache_dir=model_args.cache_dir, token=model_args.token
        )
        logger.info("Backbone weights from %s", model_args.backbone_name_or_path)
    return model


def backbone_config_for(model_args: ModelArguments):
    """A new model's backbone config, its last out_feature --backbone_stage: --backbone_config, else the layout of a
    local --backbone_name_or_path folder that is not a ResNet, else ResNet-18's layout with the --backbone_* sizes."""
    source = model_args.backbone_config
    weights = model_args.backbone_name_or_path
    if source is None and weights.lower() not in NO_BACKBONE_WEIGHTS and os.path.isdir(weights):
        if AutoConfig.from_pretrained(weights).model_type != "resnet":
            source = weights
    sizes = {key: getattr(model_args, f"backbone_{key}") for key in ("embedding_size", "hidden_sizes", "depths")}
    sizes = {key: value for key, value in sizes.items() if value is not None}
    if source is None:
        return ResNetConfig(**{**RESNET18_BACKBONE, **sizes, "out_features": [model_args.backbone_stage]})
    if sizes:
        raise ValueError(f"--backbone_{next(iter(sizes))} sizes ResNet-18's layout; {source} has its own: drop it.")
    loaded = AutoConfig.from_pretrained(source, cache_dir=model_args.cache_dir, token=model_args.token)
    # Its layout only: the labels, architectures and stages of the checkpoint it came from do not belong here.
    dropped = ("id2label", "label2id", "architectures", "model_type", "transformers_version", "out_indices")
    layout = {key: value for key, value in loaded.to_dict().items() if key not in dropped}
    return AutoConfig.for_model(loaded.model_type, **{**layout, "out_features": [model_args.backbone_stage]})


def check_image_size(model, image_size: int) -> None:
    """The token grid must be at least 2×2, or the LSTM and attention see a single token."""
    was_training = model.training
    with torch.no_grad():
        grid = model.eval().base_model.forward_features(torch.zeros(1, 3, image_size, image_size)).shape[-2:]
    model.train(was_training)
    if min(grid) < 2:
        raise ValueError(
            f"--image_size {image_size} gives a {grid[0]}×{grid[1]} feature map at the chosen backbone stage: "
            f"pass --image_size {image_size * 2} or more (224 for CelebA)."
        )


def planned_steps(trainer: Trainer) -> int:
    """The optimizer steps the current arguments ask for: --max_steps, or the epochs × the steps per epoch."""
    *_, max_steps = trainer.set_initial_training_values(trainer.args, trainer.get_train_dataloader())
    return max_steps


def train(trainer: Trainer, checkpoint: str | None) -> dict:
    """Train (resuming from `checkpoint`), save the final model and state; returns the train metrics.

    A run whose newest whole checkpoint already reached the steps asked for is finished: training it again would
    add a step and move the weights, so nothing is trained and the saved model is kept as it is (it is only
    written when the first run was killed between its last checkpoint and its final save).
    """
    args = trainer.args
    if checkpoint is not None and finished_steps(checkpoint) >= (steps := planned_steps(trainer)):
        source = finished_model_source(args.output_dir, checkpoint)
        logger.warning(
            "Training is finished: %s reached the %d steps asked for, so nothing is trained; the model in %s is kept "
            "(--overwrite_output_dir trains afresh).",
            checkpoint,
            steps,
            source,
        )
        trainer._load_from_checkpoint(str(source))
        if source != Path(args.output_dir):  # the final save did not happen: write it, with the checkpoint's state
            trainer.save_model()
            shutil.copy(Path(source, "trainer_state.json"), args.output_dir)
        train_results = Path(args.output_dir, "train_results.json")
        return json.loads(train_results.read_text()) if train_results.exists() else {}

    if args.torch_compile:
        torch._dynamo.config.allow_rnn = True  # let dynamo trace the LSTM instead of breaking the graph
    try:
        train_result = trainer.train(resume_from_checkpoint=checkpoint)
    except torch._dynamo.exc.BackendCompilerFailed as error:
        raise RuntimeError(f"torch.compile failed ({error}); run without --torch_compile.") from error
    trainer.save_model()  # weights, config, the model's and the pipeline's code files, the image processor
    trainer.log_metrics("train", train_result.metrics)
    trainer.save_metrics("train", train_result.metrics)
    trainer.save_state()
    return train_result.metrics


def configure_training_arguments(training_args: TrainingArguments, argv: list[str]) -> None:
    """Defaults this script needs that TrainingArguments does not have."""
    training_args.remove_unused_columns = False  # the image transform needs the raw columns
    if training_args.ddp_find_unused_parameters is None:
        # Every parameter gets a gradient each step (tested), so DDP need not search the graph for unused ones.
        training_args.ddp_find_unused_parameters = False
    if training_args.report_to in ("none", ["none"], None) and not any("report_to" in a for a in argv):
        # TensorBoard logs by default when it is installed.
        from transformers.integrations import is_tensorboard_available

        if is_tensorboard_available():
            training_args.report_to = ["tensorboard"]


def setup_logging(training_args: TrainingArguments) -> None:
    logging.basicConfig(
        format="%(asctime)s - %(levelname)s - %(name)s - %(message)s",
        datefmt="%m/%d/%Y %H:%M:%S",
        handlers=[logging.StreamHandler(sys.stdout)],
    )
    log_level = training_args.get_process_log_level()
    for log in (logger, logging.getLogger("face_attributes"), datasets.utils.logging, transformers.utils.logging):
        (log.setLevel if isinstance(log, logging.Logger) else log.set_verbosity)(log_level)
    mixed_precision = "bf16" if training_args.bf16 else "fp16" if training_args.fp16 else "no"
    logger.warning(
        "Process rank: %s, device: %s, n_gpu: %s, distributed: %s, mixed precision: %s, channels_last: %s",
        training_args.process_index,
        training_args.device,
        training_args.n_gpu,
        training_args.parallel_mode.value == "distributed",
        mixed_precision,
        training_args.channels_last,
    )


def last_checkpoint(model_args: ModelArguments, training_args: TrainingArguments) -> str | None:
    """The checkpoint to resume from: --resume_from_checkpoint, or the newest whole one in --output_dir."""
    if not training_args.do_train:
        return None
    if training_args.resume_from_checkpoint:
        if problem := checkpoint_problem(training_args.resume_from_checkpoint, not training_args.save_only_model):
            raise ValueError(f"--resume_from_checkpoint {training_args.resume_from_checkpoint}: {problem}.")
        return training_args.resume_from_checkpoint
    if not os.path.isdir(training_args.output_dir) or model_args.overwrite_output_dir:
        return None
    # The main process sets damaged checkpoints aside first; the others then find the same one.
    with training_args.main_process_first(desc="checkpoint check"):
        checkpoint = find_resumable_checkpoint(
            training_args.output_dir, not training_args.save_only_model, set_aside=training_args.should_save
        )
    if checkpoint is not None:
        logger.info("Resuming from %s (--overwrite_output_dir or another --output_dir starts afresh).", checkpoint)
    return checkpoint


def load_data(data_args: DataTrainingArguments, model_args: ModelArguments, training_args: TrainingArguments):
    """The source → (DatasetDict with `image` and 0/1 label columns, the label names), checked for the actions."""
    with training_args.main_process_first(desc="dataset preparation"):
        dataset = load_source(
            dataset_name=data_args.dataset_name,
            dataset_config_name=data_args.dataset_config_name,
            data_dir=data_args.data_dir,
            train_dir=data_args.train_dir,
            validation_dir=data_args.validation_dir,
            revision=data_args.dataset_revision,
            token=model_args.token,
            cache_dir=model_args.cache_dir,
            image_column=data_args.image_column,
            seed=training_args.seed,
        )
        label_names = resolve_label_columns(dataset, data_args.label_columns)
        columns = next(iter(dataset.values())).column_names
        source = describe_data(data_args, columns)
        check_group_columns(data_args.group_columns, columns)
        group_only = [c for c in data_args.group_columns if c not in label_names]
        unused = [c for c in columns if c not in ("image", *label_names, *group_only)]
        dataset = normalize_labels(dataset.remove_columns(unused), [*label_names, *group_only])
        dataset = drop_unreadable_images(
            dataset, strict=data_args.strict_images, num_proc=data_args.preprocessing_num_workers
        )
        dataset = make_splits(
            dataset,
            label_names[0],
            data_args.validation_split_percentage,
            data_args.subset_percentage,
            data_args.max_train_samples,
            data_args.max_eval_samples,
            data_args.max_predict_samples,
            seed=training_args.seed,
        )
    for action, split in (("do_train", "train"), ("do_eval", "validation"), ("do_predict", "test")):
        if getattr(training_args, action) and split not in dataset:
            raise ValueError(
                f"--{action} needs a {split} split, but the dataset has {list(dataset)}: drop --{action} or pass "
                f"data with that split (--validation_split_percentage carves validation out of train)."
            )
    source.split_sizes = {split: len(rows) for split, rows in dataset.items()}
    logger.info("Splits: %s; labels: %s", source.split_sizes, label_names)
    return dataset, label_names, source


def describe_data(data_args: DataTrainingArguments, columns: list[str]) -> DataSource:
    """What the model card says of the data: whether it is CelebA (its licence), by name, never by local path."""
    where = (data_args.dataset_name, data_args.data_dir, data_args.train_dir or data_args.validation_dir)
    celeba = is_celeba(*where, column_names=columns)
    name, hub_id = describe_source(*where, celeba=celeba)
    return DataSource(name=name, hub_id=hub_id, kind=source_kind(*where), celeba=celeba)


def file_names(split: datasets.Dataset) -> list[str]:
    """Each row's image file name (its index where the image has no path), for predictions.csv."""
    raw = split.cast_column("image", ImageFeature(decode=False))["image"]
    return [os.path.basename(item["path"] or f"{i}") for i, item in enumerate(raw)]


def label_matrix(split: datasets.Dataset, label_names: list[str]) -> np.ndarray:
    return np.stack([np.asarray(split[c]) for c in label_names], 1)  # (rows, labels)


def build_trainer(
    model,
    dataset,
    data_args: DataTrainingArguments,
    training_args: TrainingArguments,
    label_names: list[str],
    train_sampler: torch.utils.data.Sampler | None = None,
):
    """The input pipeline of --augmentation (uint8 images, cached or not, augmented on the device; or per-image
    transforms) and the Trainer; returns (trainer, dataset)."""
    image_size = model.config.image_size
    logger.info("Training augmentation %s: %s", data_args.augmentation, AUGMENTATIONS[data_args.augmentation])
    map_prior, region_boxes = None, None
    if training_args.map_prior_weight > 0 and training_args.do_train:
        map_prior = check_map_prior(model, data_args.augmentation, label_names, training_args.map_prior_weight)
        region_boxes = training_regions(dataset["train"], data_args.data_dir)  # before the cache drops the images
    if data_args.augmentation == "margin_crop":
        if data_args.preprocessing_cache:
            with training_args.main_process_first(desc="uint8 preprocessing cache"):
                dataset = build_uint8_cache(dataset, image_size, label_names, data_args.preprocessing_num_workers)
        else:
            set_uint8_transforms(dataset, image_size, label_names)
        data_collator, augment = Uint8BatchCollator(label_names), MarginCropAugment(image_size)
    else:
        transforms = {"train": resized_crop_transform(image_size)}
        for split, ds in dataset.items():
            ds.set_transform(make_batch_transform(transforms.get(split, eval_transform(image_size)), label_names))
        data_collator, augment = collate, None

    # Augmentation seeded per (seed, epoch, sample): a resumed run sees the same crops and flips.
    train_split = dataset.get("train")
    if region_boxes is not None:
        train_split = RegionBoxes(train_split, region_boxes)
    train_dataset = SeededAugmentation(train_split, training_args.seed) if training_args.do_train else None
    trainer = AttributeTrainer(
        model=model,
        args=training_args,
        train_dataset=train_dataset,
        eval_dataset=dataset.get("validation") if training_args.do_eval else None,
        data_collator=data_collator,
        compute_metrics=make_compute_metrics(label_names),
        processing_class=image_processor_for(model.config),  # saved beside the weights for AutoImageProcessor users
        augment=augment,
        train_sampler=train_sampler,
        map_prior=map_prior,
    )
    if train_dataset is not None:
        trainer.add_callback(EpochToDataset(train_dataset))
    return trainer, dataset


def make_train_sampler(
    data_args: DataTrainingArguments, groups: dict, dataset: datasets.DatasetDict, label_names: list[str], seed: int
):
    """The group-balanced sampler of --group_sampling balanced over the train split, or None (ordinary shuffling)."""
    if data_args.group_sampling == "none" or "train" not in dataset:
        return None
    target = data_args.group_target or label_names[0]
    if target not in label_names:
        raise ValueError(f"--group_target {target} is not among the labels {label_names}: pass one of them.")
    if target in data_args.group_columns:
        raise ValueError(f"--group_target {target} is also a group column: choose another target or group column.")
    group_columns, group_values = groups["train"]
    target_labels = label_matrix(dataset["train"], [target])[:, 0]
    return group_balanced_sampler(group_values, target_labels, group_columns, target, seed)


def split_off_groups(dataset: datasets.DatasetDict, group_columns: list[str], label_names: list[str]):
    """({split: (group columns, their values (N, G))}, the dataset without the group columns that are not labels):
    the input pipeline reads only the labels."""
    if not group_columns:
        return {}, dataset
    groups = {name: (group_columns, label_matrix(split, group_columns)) for name, split in dataset.items()}
    return groups, dataset.remove_columns([c for c in group_columns if c not in label_names])


def report_split(
    trainer: Trainer,
    output,
    prefix: str,
    label_names: list[str],
    groups: tuple[list[str], np.ndarray] | None = None,
    temperatures: np.ndarray | None = None,
) -> np.ndarray:
    """Add to a PredictionOutput's metrics, log and save `prefix_*`: calibration (with `temperatures`, (L,), also after
    temperature scaling, `prefix_calibrated_ece*`), and with `groups`, (group columns, their values (N, G)), the group
    metrics; write the per-attribute, reliability and group tables. Returns the probabilities (N, L) the model folder
    gives: calibrated when there are temperatures."""
    logits, labels = torch.as_tensor(output.predictions), output.label_ids.astype(np.int8)
    probabilities = sigmoid(output.predictions)
    splits = [(prefix, probabilities)]
    if temperatures is not None:
        probabilities = calibrated_probabilities(logits.double(), temperatures).numpy()
        splits.append((f"{prefix}_calibrated", probabilities))
    for name, split_probabilities in splits:
        errors = expected_calibration_errors(split_probabilities, labels)
        output.metrics.update(calibration_metrics(errors, label_names, name))
        if trainer.is_world_process_zero():
            write_reliability(trainer.args.output_dir, name, split_probabilities, labels, label_names, errors)
    if groups is not None:
        group_columns, group_values = groups
        decisions = (probabilities >= 0.5).astype(np.int8)  # the same with or without temperatures
        rows, summaries = group_metric_table(decisions, labels, group_values, label_names, group_columns, prefix)
        output.metrics.update(summary_metrics(summaries, prefix))
        if trainer.is_world_process_zero():
            write_group_tables(trainer.args.output_dir, prefix, rows)
    trainer.log_metrics(prefix, output.metrics)
    trainer.save_metrics(prefix, output.metrics)
    if trainer.is_world_process_zero():
        write_attribute_table(trainer.args.output_dir, label_names, output.metrics, prefix)
    return probabilities


def evaluate_and_choose_thresholds(
    trainer: Trainer,
    split: datasets.Dataset,
    label_names: list[str],
    groups: tuple | None,
    calibrate: str,
    temperatures: np.ndarray | None,
) -> tuple[dict, np.ndarray | None]:
    """Validation metrics, the per-attribute temperatures (fitted with `calibrate="temperature"` and saved as
    temperatures.json, else the given ones or None) and the thresholds that maximise balanced accuracy on the
    probabilities the folder gives (thresholds.json); returns (the metrics, the temperatures)."""
    output = trainer.predict(split, metric_key_prefix="eval")
    if calibrate == "temperature":
        temperatures = fit_temperatures(output.predictions, output.label_ids)
        if trainer.is_world_process_zero():
            save_temperatures(trainer.args.output_dir, label_names, temperatures)
    probabilities = report_split(trainer, output, "eval", label_names, groups, temperatures)
    if trainer.is_world_process_zero():
        save_thresholds(trainer.args.output_dir, label_names, choose_thresholds(probabilities, output.label_ids))
    return output.metrics, temperatures


def predict_test_split(
    trainer: Trainer,
    split: datasets.Dataset,
    names: list[str],
    label_names: list[str],
    groups: tuple | None = None,
    temperatures: np.ndarray | None = None,
) -> dict:
    """Test metrics, and predictions.csv (a probability, calibrated with `temperatures`, and a 0/1 decision at 0.5 per
    attribute and image)."""
    output = trainer.predict(split, metric_key_prefix="test")
    probabilities = report_split(trainer, output, "test", label_names, groups, temperatures)
    if trainer.is_world_process_zero():
        write_predictions_csv(
            os.path.join(trainer.args.output_dir, "predictions.csv"),
            names,
            probabilities,
            label_names,
            np.full(len(label_names), 0.5),
        )
    return output.metrics


def saved_temperatures(model_args: ModelArguments, training_args: TrainingArguments, label_names: list[str]):
    """The temperatures of the model an evaluation-only run reads (--model_name_or_path, a local folder), or None.
    Training makes new weights, which an earlier run's temperatures.json in --output_dir does not fit: it is removed
    (--calibrate temperature fits new ones)."""
    stale = Path(training_args.output_dir, TEMPERATURES_FILE)
    if training_args.do_train:
        if stale.exists() and training_args.should_save:
            logger.warning("Removing %s: an earlier run's; --calibrate temperature fits new ones.", stale)
            stale.unlink()
        return None
    source = model_args.model_name_or_path
    if not source or not Path(source, TEMPERATURES_FILE).exists():
        return None
    return load_temperatures(source, label_names)


def write_results(
    trainer: Trainer,
    results: dict,
    model_args: ModelArguments,
    data_args: DataTrainingArguments,
    label_names: list[str],
    source: DataSource,
) -> None:
    """all_results.json (merged into what the train and eval steps wrote) and the model card (main process only)."""
    trainer.save_metrics("all", results)
    arguments = {**asdict(model_args), **asdict(data_args), "training": trainer.args.to_sanitized_dict()}
    arguments.pop("token", None)
    output_dir = trainer.args.output_dir
    thresholds = load_thresholds(output_dir, label_names, "saved") if has_saved_thresholds(output_dir) else None
    write_model_card(
        output_dir,
        label_names,
        results,
        source,
        arguments,
        base_model=hub_base_model(model_args),
        thresholds=None if thresholds is None else dict(zip(label_names, thresholds.tolist())),
    )
    logger.info("Wrote model card, metrics and predictions to %s", trainer.args.output_dir)


def hub_base_model(model_args: ModelArguments) -> str | None:
    """The Hub id the weights started from (the card's `base_model`); None for random weights or a local folder."""
    start = model_args.model_name_or_path or model_args.backbone_name_or_path
    if not start or start.lower() in ("none", "random") or os.path.exists(start):
        return None
    return start


def push_output_dir(model_args: ModelArguments, training_args: TrainingArguments) -> None:
    """The output folder, without checkpoints and logs, to the Hub repo --hub_model_id (or the folder's name)."""
    from huggingface_hub import HfApi

    repo_id = training_args.hub_model_id or os.path.basename(os.path.abspath(training_args.output_dir))
    api = HfApi(token=training_args.hub_token or model_args.token)
    api.create_repo(repo_id, private=training_args.hub_private_repo, exist_ok=True)
    api.upload_folder(
        folder_path=training_args.output_dir, repo_id=repo_id, ignore_patterns=["checkpoint-*", "runs/*", "*.pt"]
    )


def main(argv: list[str] | None = None) -> dict:
    (model_args, data_args, training_args), argv = parse_args(argv)
    configure_training_arguments(training_args, argv)
    setup_logging(training_args)
    if data_args.calibrate != "none" and not training_args.do_eval:
        raise ValueError(f"--calibrate {data_args.calibrate} fits on the validation split: add --do_eval.")
    checkpoint = last_checkpoint(model_args, training_args)
    set_seed(training_args.seed)

    dataset, label_names, source = load_data(data_args, model_args, training_args)
    groups, dataset = split_off_groups(dataset, data_args.group_columns, label_names)
    test_names = file_names(dataset["test"]) if training_args.do_predict else None

    train_labels = label_matrix(dataset["train"], label_names) if "train" in dataset else None
    model = build_model(model_args, label_names, train_labels)
    check_image_size(model, model.config.image_size)
    if model_args.freeze_stages:
        freeze_backbone_stages(model, model_args.freeze_stages)
    if model_args.freeze_body:
        logger.info("--freeze_body: training only %s", ", ".join(freeze_body(model)))

    train_sampler = make_train_sampler(data_args, groups, dataset, label_names, training_args.seed)
    trainer, dataset = build_trainer(model, dataset, data_args, training_args, label_names, train_sampler)
    results: dict = {}
    if training_args.do_train:
        results.update(train(trainer, checkpoint))
    temperatures = saved_temperatures(model_args, training_args, label_names)
    if training_args.do_eval:
        metrics, temperatures = evaluate_and_choose_thresholds(
            trainer, dataset["validation"], label_names, groups.get("validation"), data_args.calibrate, temperatures
        )
        results.update(metrics)
    if training_args.do_predict:
        results.update(
            predict_test_split(trainer, dataset["test"], test_names, label_names, groups.get("test"), temperatures)
        )

    if trainer.is_world_process_zero():
        write_results(trainer, results, model_args, data_args, label_names, source)
    if training_args.push_to_hub and trainer.is_world_process_zero():
        push_output_dir(model_args, training_args)
    return results


if __name__ == "__main__":
    main()
