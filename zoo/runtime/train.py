"""The shared training runtime: flags -> data -> strategy scope -> fit -> export."""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any, Sequence

import keras
import numpy as np
import tensorflow as tf

from zoo.console import plural, progress
from zoo.data import load_examples
from zoo.data.examples import Examples, UnpairedExamples
from zoo.data.sources import has_labels
from zoo.data.splits import complement, splits_overlap
from zoo.errors import ConfigurationError, DataUnavailableError, RunError, ZooError
from zoo.export import export_model
from zoo.export_format import read_metadata
from zoo.families import get_family
from zoo.images import save_history_plot, write_atomically
from zoo.loading import load
from zoo.optimizers import WeightAverage, make_optimizers, schedule_class
from zoo.outliers import SCORE_SIGNATURE, HeldOutImages, image_batches, thin_record_words
from zoo.paths import exported_root, nearest_existing
from zoo.precision import precision_policy, resolve_precision
from zoo.registry import Entry, get_entry
from zoo.runtime.callbacks import (EpochCheckpoint, EpochCSVLogger, EpochSummaries, SampleGrid,
                                   StopOnNonFinite)
from zoo.runtime.cli import parse_args
from zoo.runtime.distribute import (check_same_start, is_chief, prepare_model,
                                    resolve_strategy, scratch_checkpoint_dir, shard_by_data,
                                    stop_on_lost_workers, worker_count)

RUN_FILE = "run.json"
# Flags that define what a run computes: resuming with other values would not continue it.
RUN_DEFINING_FLAGS = ("batch_size", "learning_rate", "seed", "steps_per_epoch", "train_split")
# Flags that change what a run shows, not what it computes: left out of the recorded command.
OUTPUT_FLAGS = ("verbose",)
# Held-out examples drawn on in the per-epoch previews and the final plots.
HELD_OUT_COUNT = 16


def run_defining_flags(entry: Entry) -> tuple[str, ...]:
    """The flags a resumed run must repeat: the common ones, `normal_class` where the entry's
    data set has labels, the model's, and `epochs` when the learning-rate schedule depends on
    the run's length."""
    return (RUN_DEFINING_FLAGS
            + (("normal_class",) if has_labels(entry.data.dataset) else ())
            + tuple(entry.flags)
            + (("epochs",) if schedule_class(entry).depends_on_run_length else ()))


def _flags(args: argparse.Namespace) -> dict[str, Any]:
    return {key: str(value) if isinstance(value, Path) else value
            for key, value in vars(args).items()}


class RunDirectory:
    """The `--out` folder: only the runtime writes in it, and `run.json` marks it as a run.

    Opening one only checks it; nothing is written until `save()`, so a run that
    cannot start (no data, say) leaves no folder behind.
    """

    def __init__(self, path: Path, entry: Entry, args: argparse.Namespace) -> None:
        self.path = path
        self.file = path / RUN_FILE
        flags = _flags(args)
        fresh = {"entry": entry.name, "flags": flags, "export": None}
        self.resumed = False
        if self.file.is_file():
            try:
                self.state = json.loads(self.file.read_text())
                recorded_entry, recorded_flags = self.state["entry"], self.state["flags"]
            except (ValueError, KeyError, TypeError) as error:
                raise RunError(f"--out {path} holds a damaged {RUN_FILE} ({error}); choose "
                               "another --out.") from error
            if recorded_entry != entry.name:
                raise RunError(f"--out {path} holds a run of {self.state['entry']!r}, not "
                               f"{entry.name!r}; choose another --out.")
            # A run stopped before its first checkpoint trained nothing: it starts afresh,
            # with the flags it is given now.
            self.resumed = _epochs_done(path / "checkpoints") > 0
            if self.resumed:
                self._check_same_run(entry, recorded_flags, flags)
                self.state["flags"] = flags
            else:
                self.state = fresh
        elif path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise RunError(f"--out {path} exists and is not a zoo run directory; choose a new or "
                           "empty folder (the recipe writes only into its own run directories).")
        else:
            self.state = fresh

    def _check_same_run(self, entry: Entry, recorded: dict[str, Any], flags: dict[str, Any]
                        ) -> None:
        """Refuses flags that would not continue the recorded run."""
        changed = [key for key in run_defining_flags(entry) if recorded.get(key) != flags[key]]
        if "epochs" in changed:
            raise RunError(
                f"--out {self.path} holds a run of {plural(recorded['epochs'], 'epoch')}, and "
                f"{entry.name}'s learning rates {schedule_class(entry).description}, so the "
                f"run cannot be lengthened or shortened; resume with --epochs "
                f"{recorded['epochs']}, or train a new run (another --out).")
        if changed:
            words = ", ".join(_flag_words(key, recorded.get(key)) for key in changed)
            raise RunError(f"--out {self.path} holds a run started with {words}; resume with "
                           "the same values or choose another --out.")

    def check_data(self, data: dict[str, dict[str, Any]]) -> None:
        """Records the examples a new run trains and is measured on (`data_fingerprint`);
        refuses to resume a run on other examples, as when files were added to, removed from
        or changed in a `--data-dir` folder: the held-out split would no longer be held out,
        nor the batches those of the run. A run recorded without them is not checked."""
        recorded = self.state.get("data")
        if self.resumed and recorded is not None and recorded != data:
            changed = [role for role in data if recorded.get(role) != data[role]]
            words = "; ".join(
                f"the {role} examples were {recorded[role]['examples']} and are "
                f"{data[role]['examples']}" + (" (others)" if recorded[role]["examples"] ==
                                              data[role]["examples"] else "")
                for role in changed if recorded.get(role) and data[role])
            raise RunError(
                f"--out {self.path} holds a run started on other data ({words or 'changed'}); "
                "resume it on the data it started with (the same --data-dir content and "
                "splits), or train a new run (another --out).")
        self.state["data"] = data

    def precision(self, choice: str) -> str:
        """The precision the run trains in: a new run's `--precision` resolved (and recorded on
        `save()`); a resumed run's recorded one, which `auto` takes and any other value must
        repeat (runs recorded without one trained in float32)."""
        if self.resumed:
            recorded = self.state.get("precision", "float32")
            if choice not in ("auto", recorded):
                raise RunError(f"--out {self.path} holds a run trained with --precision "
                               f"{recorded}, not {choice}; resume with --precision {recorded} "
                               "(or auto), or choose another --out.")
            self.state["precision"] = recorded
            return recorded
        self.state["precision"] = resolve_precision(choice)
        return self.state["precision"]

    def save(self) -> None:
        write_atomically(self.file, (json.dumps(self.state, indent=2) + "\n").encode())


def _flag_words(key: str, value: Any) -> str:
    """`--batch-size 8`, or `no --learning-rate` for a flag left at its default of None."""
    flag = f"--{key.replace('_', '-')}"
    return f"no {flag}" if value is None else f"{flag} {value}"


def _check_writable(path: Path, flag: str) -> None:
    """Refuses a folder that cannot be made or written: its nearest existing ancestor must be
    a writable folder (checked before training, not when the run ends)."""
    existing = nearest_existing(path.absolute())
    if not existing.is_dir():
        raise ConfigurationError(f"{flag} {path} cannot be made: {existing} is a file; choose "
                                 "a folder path.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigurationError(f"{flag} {path} cannot be written ({existing} is not writable "
                                 "by you); choose another folder.")


def _command(entry: Entry, args: argparse.Namespace) -> str:
    """The `zoo train` command line that repeats this run, every flag spelled out (it works
    from any install; `python recipes/<entry>.py` takes the same flags)."""
    words = ["zoo", "train", entry.name]
    for key, value in vars(args).items():
        if value is not None and key not in OUTPUT_FLAGS:
            words += [f"--{key.replace('_', '-')}", shlex.quote(str(value))]
    return " ".join(words)


def _resolve_jit(choice: str) -> bool:
    if choice == "auto":
        return bool(tf.config.list_physical_devices("GPU"))
    return choice == "on"


def model_config(entry: Entry, args: argparse.Namespace | None = None) -> dict[str, Any]:
    """The entry's model config with the values its recipe flags set (`--image-size`)."""
    overrides = {key: getattr(args, key) for key in entry.flags} if args is not None else {}
    return {**entry.model_config, **overrides}


def build_model(entry: Entry, config: dict[str, Any], steps_per_epoch: int, epochs: int,
                jit_compile: bool, learning_rate: float | None = None,
                seed: int | None = None, precision: str = "float32") -> keras.Model:
    """The entry's model, compiled with its optimizers (call in a strategy scope).

    `precision` (`zoo.precision`) is the dtype policy its layers are built under, the
    process's global policy being left as it was, and wraps each optimizer in a loss
    scale for `mixed_float16`.
    """
    family = get_family(entry.family)
    with precision_policy(precision):
        model = family.model_class(**config, seed=seed)
        model.compile(**make_optimizers(entry, family.optimizers, steps_per_epoch, epochs,
                                        learning_rate, precision), jit_compile=jit_compile)
    return model


def weight_average(entry: Entry, model: keras.Model) -> WeightAverage | None:
    """The moving average of the model's weights that the entry keeps, or its family
    (`Entry.ema_decay`, `Family.ema_decay`); None for none (build in the strategy scope)."""
    decay = entry.ema_decay if entry.ema_decay is not None else get_family(entry.family).ema_decay
    return None if decay is None else WeightAverage(model, decay)


def training_state(model: keras.Model, average: WeightAverage | None = None) -> dict[str, Any]:
    """Everything a run needs to continue exactly: the model's variables, every optimizer's
    (slots and step, built first so a restore has somewhere to go), the state the family
    trains with but does not export (`model.training_state()`, e.g. CycleGAN's image pools),
    and the average of the weights, if the run keeps one."""
    state: dict[str, Any] = {"model": list(model.variables)}
    for name, (optimizer, variables) in model.optimizer_targets().items():
        if not optimizer.built:
            optimizer.build(variables)
        state[name] = list(optimizer.variables)
    extra = getattr(model, "training_state", dict)()
    if extra:
        state["training_state"] = tf.train.Checkpoint(**extra)
    if average is not None:
        state["weight_average"] = average.averages
    return state


def _check_batch(args: argparse.Namespace, examples: int, replicas: int) -> None:
    """Refuses a global batch that the data or the replicas cannot fill."""
    if args.batch_size > examples:
        which = "" if args.normal_class is None else f" labelled {args.normal_class}"
        raise ConfigurationError(
            f"--batch-size {args.batch_size} is larger than the {examples} training examples"
            f"{which} of {args.train_split!r}; use a --batch-size of at most {examples}.")
    if args.batch_size < replicas:
        raise ConfigurationError(
            f"--batch-size {args.batch_size} leaves some of the {replicas} replicas without "
            f"examples; use a --batch-size of at least {replicas}.")


def _finished_words(entry: Entry, args: argparse.Namespace, done: int, export: Path) -> str:
    """What a finished run says when asked to train no further, and what the user can do."""
    options = ["another --out trains again"]
    if not schedule_class(entry).depends_on_run_length:
        options.insert(0, "a larger --epochs trains on")
    words = (f"{args.out} finished {plural(done, 'epoch')} and exported them to {export}; "
             f"nothing to do ({', '.join(options)}).")
    asked = args.export_dir or exported_root()
    if export.parent.parent.resolve() != Path(asked).resolve():
        words += (f" --export-dir {asked} is not used: the run was exported to "
                  f"{export.parent.parent}; copy {export} there if you want it in both.")
    return words


def data_fingerprint(examples: Examples | UnpairedExamples | None) -> dict[str, Any] | None:
    """The number of examples and a SHA-256 of what identifies them: the data themselves
    when held in memory (MNIST's arrays), else each file's path relative to the files'
    common folder and its size, so that a folder moved elsewhere is the same data."""
    if examples is None:
        return None
    parts = (sorted(examples.domains.items()) if isinstance(examples, UnpairedExamples)
             else [("", examples)])
    digest = hashlib.sha256()
    for domain, part in parts:
        for name in sorted(part.features):
            values = np.asarray(part.features[name])
            digest.update(f"{domain}/{name}:{values.shape}".encode())
            if part.read is not None and values.dtype.kind in "OSU":
                paths = [os.fsdecode(path) if isinstance(path, bytes) else str(path)
                         for path in values.ravel()]
                root = os.path.commonpath(paths) if len(paths) > 1 else os.path.dirname(
                    paths[0]) if paths else ""
                for path in paths:
                    size = os.path.getsize(path) if os.path.isfile(path) else -1
                    digest.update(f"{os.path.relpath(path, root)}\0{size}\0".encode())
            else:
                digest.update(np.ascontiguousarray(values).tobytes())
    return {"examples": len(examples), "sha256": digest.hexdigest()}


def _epochs_done(checkpoints: Path) -> int:
    """Epochs the run's latest checkpoint holds (checkpoints are numbered by epoch), 0 for none."""
    latest = tf.train.latest_checkpoint(str(checkpoints))
    return int(latest.rsplit("-", 1)[1]) if latest else 0


def _exported_epochs(export: Path) -> int | None:
    """The epochs the export `export` was trained for, from its metadata (None if unreadable)."""
    try:
        epochs = read_metadata(export).get("training", {}).get("epochs")
    except (OSError, ZooError):
        return None
    return epochs if isinstance(epochs, int) else None


def _check_epochs(args: argparse.Namespace, done: int, export: Path | None = None,
                  exported_epochs: int | None = None) -> None:
    """Refuses an --epochs below what an unfinished run has trained already, naming the
    run's earlier export when it was lengthened and stopped before exporting again."""
    if done <= args.epochs:
        return
    earlier = (f" (its export {export} holds the model after {exported_epochs} epochs)"
               if export is not None and exported_epochs is not None else "")
    raise RunError(f"--out {args.out} holds a run that has trained {done} epochs{earlier}, more "
                   f"than --epochs {args.epochs}; pass --epochs {done} or more to finish it, or "
                   "train a new run (another --out).")


def _check_splits(args: argparse.Namespace) -> None:
    """Refuses a validation split that shares examples with the training split: its held-out
    figures would be measured on images the model trains on."""
    if args.validation_split == "none":
        return
    overlap = splits_overlap(args.train_split, args.validation_split)
    if overlap is False:
        return
    shares = "shares examples" if overlap else "may share examples (it depends on the split's size)"
    rest = complement(args.train_split)
    raise ConfigurationError(
        f"--validation-split {args.validation_split!r} {shares} with --train-split "
        f"{args.train_split!r}, so the held-out figures would be measured on training images; "
        f"pass a --validation-split that does not overlap it{_example(rest)}, "
        "or --validation-split none.")


def _example(split: str | None) -> str:
    return f" (e.g. {split!r})" if split else ""


def _one_class(examples, label: int, flag: str, split: str, advice: str):
    """The examples labelled `label`; none is refused, naming the labels the split has."""
    kept = examples.of_class(label)
    if not len(kept):
        labels = ", ".join(str(value) for value in sorted(set(examples.features["label"].tolist())))
        raise ConfigurationError(
            f"--normal-class {label} leaves none of the {len(examples)} examples of {flag} "
            f"{split!r}: their labels are {labels or 'none'}; {advice}.")
    return kept


def _load_data(entry: Entry, args: argparse.Namespace):
    """The training examples and the held-out ones (None with --validation-split none), only
    those of `--normal-class` where it is given."""
    examples = load_examples(entry.data.dataset, args.train_split, args.data_dir)
    _check_splits(args)
    normal = args.normal_class
    if normal is not None:
        examples = _one_class(examples, normal, "--train-split", args.train_split,
                              "choose one of those labels or another --train-split")
    if args.validation_split == "none":
        return examples, None
    try:
        validation = load_examples(entry.data.dataset, args.validation_split, args.data_dir)
    except DataUnavailableError as error:
        if args.data_dir is None:
            raise
        reason = str(error.__cause__ or error)
        raise DataUnavailableError(
            f"Could not load the held-out split {args.validation_split!r} "
            f"(--validation-split) from {args.data_dir}: {reason} Hold out a split the folder "
            "has (e.g. --validation-split test), or train without one (--validation-split "
            "none).") from error
    if normal is not None:
        validation = _one_class(validation, normal, "--validation-split", args.validation_split,
                                "choose a --validation-split that has some, or "
                                "--validation-split none")
    return examples, validation


def _strategy_words(strategy: tf.distribute.Strategy) -> str:
    replicas = strategy.num_replicas_in_sync
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return (f"{plural(replicas, 'replica')} on {plural(worker_count(strategy), 'worker')} "
                "(MultiWorkerMirroredStrategy)")
    if isinstance(strategy, tf.distribute.MirroredStrategy):
        return f"{plural(replicas, 'replica')} on this machine (MirroredStrategy)"
    return "one device"


def _epoch_words(start: int, epochs: int, steps: int, batch_size: int) -> str:
    """`epochs 3 to 10, 15 steps of 64 examples each` (or `epoch 1 of 1, ...`)."""
    span = (f"epoch {epochs} of {epochs}" if start + 1 == epochs
            else f"epochs {start + 1} to {epochs}")
    return f"{span}, {plural(steps, 'step')} of {plural(batch_size, 'example')} each"


def train(entry: Entry, args: argparse.Namespace) -> Path | None:
    """Trains (or resumes) a run of `entry` as the flags say, exports it, and returns the export.

    A finished run given a larger --epochs trains on from its last epoch and
    exports a new version, where the entry's schedule does not depend on the run's
    length (constant learning rates); where --epochs defines the schedule (a decay
    over the run) a run keeps its --epochs. A run that keeps a moving average of its
    weights exports the average (`zoo.optimizers.WeightAverage`).

    Args:
        entry: the zoo entry.
        args: the parsed recipe flags (`zoo.runtime.cli.parse_args`).

    Returns:
        The export's version folder (None on the workers of a multi-worker run
        that are not the chief: only the chief writes files).
    """
    strategy = resolve_strategy(args.strategy)
    chief = is_chief(strategy)
    # Every worker checks --out (one folder they all see), so all refuse or resume alike.
    run = RunDirectory(args.out, entry, args)
    precision = run.precision(args.precision)
    # The command recorded with the export names the precision `auto` resolved to.
    args = argparse.Namespace(**{**vars(args), "precision": precision})
    family = get_family(entry.family)
    keras.utils.set_random_seed(args.seed)
    checkpoints = args.out / "checkpoints"
    done = _epochs_done(checkpoints)
    # The run's last export, if it is still there.
    export = Path(run.state["export"]) if run.state.get("export") else None
    export = export if export is not None and export.is_dir() else None
    exported_epochs = _exported_epochs(export) if export is not None else None
    if export is not None and done >= args.epochs and exported_epochs in (None, done):
        progress(_finished_words(entry, args, done, export))
        return export if chief else None
    _check_epochs(args, done, export, exported_epochs)

    _check_writable(args.out, "--out")
    _check_writable(args.export_dir or exported_root(), "--export-dir")
    examples, validation = _load_data(entry, args)
    run.check_data({"training": data_fingerprint(examples),
                    "held-out": data_fingerprint(validation)})
    _check_batch(args, len(examples), strategy.num_replicas_in_sync)
    steps = args.steps_per_epoch or len(examples) // args.batch_size
    config = model_config(entry, args)
    image_size = config.get("image_size")
    held_out = (validation or examples).held_out(HELD_OUT_COUNT, image_size)
    jit_compile = _resolve_jit(args.jit_compile)
    with strategy.scope():
        # Built before anything is written: a model flag it refuses leaves no run behind.
        model = build_model(entry, config, steps, args.epochs, jit_compile, args.learning_rate,
                            seed=args.seed, precision=precision)
    prepare_model(model, strategy)
    # Everything that can be refused has been checked: only now does the run write.
    if chief:
        run.save()

    with strategy.scope():
        epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
        # The epochs' wall time, over every session of the run (EpochCheckpoint).
        seconds = tf.Variable(0.0, dtype=tf.float64, trainable=False, name="seconds")
        timed_epochs = tf.Variable(0, dtype=tf.int64, trainable=False, name="timed_epochs")
        average = weight_average(entry, model)
        checkpoint = tf.train.Checkpoint(epoch=epoch, seconds=seconds, timed_epochs=timed_epochs,
                                         **training_state(model, average))
    # Every worker restores the chief's latest checkpoint, so all copies of the variables
    # resume alike; the others save only because saving is collective, into scratch.
    manager = tf.train.CheckpointManager(
        checkpoint, str(checkpoints if chief else scratch_checkpoint_dir()), max_to_keep=2)
    latest = tf.train.latest_checkpoint(str(checkpoints))
    if latest:
        checkpoint.restore(latest).assert_existing_objects_matched()
        progress(f"resuming from {latest} ({plural(int(epoch.numpy()), 'epoch')} done)")
    start = int(epoch.numpy())
    check_same_start(strategy, start, args.out)

    if start < args.epochs:
        stream, steps = examples.stream(
            batch_size=args.batch_size, seed=args.seed, preprocess=family.preprocess,
            image_size=image_size, augment=entry.data.augment, steps_per_epoch=steps,
            start_epoch=start)
        stream = shard_by_data(stream)
        validation_data = None if validation is None else shard_by_data(validation.evaluation(
            batch_size=args.batch_size, seed=args.seed + 1, preprocess=family.preprocess,
            image_size=image_size))
        progress(f"training {entry.name} on {examples.description}: "
                 f"{_epoch_words(start, args.epochs, steps, args.batch_size)}, on "
                 f"{_strategy_words(strategy)}, precision {precision}, XLA "
                 f"{'on' if jit_compile else 'off'}")
        advice = ("Start a new run (another --out) with a lower --learning-rate." if start == 0
                  else f"The last checkpoint holds epoch {start}; start a new run (another "
                       "--out) with a lower --learning-rate.")
        # The guard comes first so that a diverged epoch is never checkpointed.
        callbacks: list[keras.callbacks.Callback] = [StopOnNonFinite(steps, advice)]
        if average is not None:
            callbacks.append(average)
        callbacks.append(EpochCheckpoint(manager, epoch, discard=not chief, seconds=seconds,
                                         timed_epochs=timed_epochs))
        if chief:
            callbacks += [
                EpochCSVLogger(str(args.out / "history.csv"), append=True),
                EpochSummaries(args.out / "tensorboard", steps),
                SampleGrid(args.out / "samples",
                           lambda model: _preview(family, model, held_out, args.seed, average),
                           summary_dir=args.out / "tensorboard" / "samples"),
            ]
        # Keras prints its progress on stdout; a run's stdout holds only its result.
        with stop_on_lost_workers(strategy, args.out), contextlib.redirect_stdout(sys.stderr):
            model.fit(stream, epochs=args.epochs, initial_epoch=start, steps_per_epoch=steps,
                      validation_data=validation_data, callbacks=callbacks,
                      shuffle=False, verbose=1 if sys.stderr.isatty() else 2)
    if not chief:
        return None

    details = {"training": {
        "command": _command(entry, args),
        "dataset": entry.data.dataset, "train_split": args.train_split,
        "train_examples": len(examples), "epochs": args.epochs, "batch_size": args.batch_size,
        "steps_per_epoch": steps, "learning_rate": args.learning_rate,
        "optimizers": {name: spec.config() for name, spec in entry.optimizers.items()},
        "schedule": entry.schedule, "schedule_options": dict(entry.schedule_options),
        "warmup_steps": entry.warmup_steps, "ema_decay": None if average is None else average.decay,
        "augment": entry.data.augment, "seed": args.seed, "precision": precision,
        **_wall_time(float(seconds.numpy()), int(timed_epochs.numpy()), steps,
                     args.batch_size)}}
    if has_labels(entry.data.dataset):
        details["training"]["normal_class"] = args.normal_class
    # A family that scores records its scores' held-out distribution with the export.
    held_out_images = None if validation is None else HeldOutImages(
        image_batches(validation, image_size, args.batch_size), entry.data.dataset,
        args.validation_split, normal_class=args.normal_class)
    with average.swapped_in() if average is not None else contextlib.nullcontext():
        version = export_model(model, entry, args.export_dir or exported_root(), details,
                               held_out_images)
    run.state["export"] = str(version)
    run.save()
    progress(f"exported to {version}")
    exported = load(version.resolve())
    thin = thin_record_words(str(version), exported.score_quantiles)
    if thin:
        progress(f"warning: {thin} (--validation-split {args.validation_split}); `zoo score` "
                 "warns of it too. Validate on a larger split, or record the quantiles on one "
                 "with zoo.rewrite_signatures.record_score_quantiles.")
    if validation is None and SCORE_SIGNATURE in exported.signatures:
        progress(f"warning: with --validation-split none, {version} records no score quantiles, "
                 "so its scores are not read as percentiles of typical data; record them with "
                 "zoo.rewrite_signatures.record_score_quantiles on a split it was not trained on.")
    written = family.plots(exported, held_out, args.out / "plots")
    if (args.out / "history.csv").is_file():
        written.append(save_history_plot(args.out / "history.csv",
                                         args.out / "plots" / "history.png"))
    for path in written:
        progress(f"wrote {path}")
    return version


def _wall_time(seconds: float, timed: int, steps: int, batch_size: int) -> dict[str, Any]:
    """The training details' wall time: the seconds of the timed epochs (steps, held-out
    evaluation, previews; summed over the sessions of a resumed run), how many of the epochs
    they cover (a run resumed from a checkpoint of an older zoo has untimed epochs), and the
    images per second over them.

    Example:
        >>> _wall_time(100.0, 2, 50, 64)
        {'wall_seconds': 100.0, 'timed_epochs': 2, 'images_per_second': 64.0}
    """
    rate = round(timed * steps * batch_size / seconds, 2) if timed and seconds > 0 else None
    return {"wall_seconds": round(seconds, 1), "timed_epochs": timed, "images_per_second": rate}


def _preview(family: Any, model: keras.Model, held_out: Any, seed: int,
             average: WeightAverage | None) -> Any:
    """The family's per-epoch preview, drawn by the average of the weights when the run keeps
    one (the model it will export)."""
    with average.swapped_in() if average is not None else contextlib.nullcontext():
        return family.preview(model, held_out, seed)


def interrupted_words(out: Path) -> str:
    """What an interrupted run (Ctrl-C) says: what is kept and how to go on."""
    done = _epochs_done(out / "checkpoints")
    kept = (f"the last checkpoint ({plural(done, 'epoch')} done) is kept in {out}" if done
            else "no epoch was finished, so nothing is kept")
    return (f"interrupted; {kept}: run the same command again to "
            f"{'resume' if done else 'start again'}.")


def main(entry_name: str, argv: Sequence[str] | None = None) -> int:
    """A recipe's entry point: parse flags, train, export; user errors exit 2 with one sentence.

    Progress goes to stderr; stdout gets the run's result alone, the export folder.
    """
    entry = get_entry(entry_name)
    args = parse_args(entry, argv)
    try:
        version = train(entry, args)
    except ZooError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        progress(interrupted_words(args.out))
        return 130
    if version is not None:
        print(version, flush=True)
    return 0
