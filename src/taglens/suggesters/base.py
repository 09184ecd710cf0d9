"""The Suggester protocol, a base class with the shared plumbing, and the saved-model directory format.

A saved model is a directory holding ``config.json`` (an envelope ``{"taglens": {"version", "format", "type"}}``
plus the constructor parameters), and whatever state files the model writes (``weights.safetensors``,
``vocab.txt``, ``*.npz``). ``load_model_dir`` dispatches on ``type`` through the registry.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any, ClassVar, Protocol, Sequence, runtime_checkable

from ..exceptions import ModelError, OutputError
from ..outputs import os_reason, staging_folder
from ..types import Post, Suggestion
from ..version import __version__

FORMAT_VERSION = 1


@runtime_checkable
class Suggester(Protocol):
    name: ClassVar[str]

    def fit(self, posts: Sequence[Post]) -> "Suggester": ...

    def suggest(self, post: Post, k: int = 10) -> list[Suggestion]: ...

    def suggest_batch(self, posts: Sequence[Post], k: int = 10) -> list[list[Suggestion]]: ...


def not_trained(name: Any) -> str:
    """What to tell a user who asks an untrained model for suggestions."""
    return (f"model {name!r} is not trained: train it first (taglens train --model {name} --data TRAIN.jsonl "
            f"--out DIR, or fit() it) and use the trained model directory")


class BaseSuggester:
    """Shared plumbing: ``suggest_batch`` (a loop), ``get_params``, ``__repr__``, ``save``/``load``.

    Subclasses implement ``fit`` and ``_rank(post, k) -> list[Suggestion]`` (best first, may include the post's
    own tags, blocked tags and duplicates: ``suggest`` removes them, and asks again for more when that leaves
    fewer than k), and ``_save_state``/``_load_state`` for learned state.
    ``__init__`` takes keyword hyperparameters only and stores them unchanged.
    """

    name: ClassVar[str] = "base"
    needs_training: ClassVar[bool] = True

    def get_params(self) -> dict[str, Any]:
        import inspect

        sig = inspect.signature(type(self).__init__)
        return {p: getattr(self, p) for p in sig.parameters if p != "self" and hasattr(self, p)}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # -- fitting ----------------------------------------------------------------------------------------------
    def fit(self, posts: Sequence[Post]) -> "BaseSuggester":
        raise NotImplementedError

    @property
    def is_fitted(self) -> bool:
        return getattr(self, "fitted_", False)

    def _check_fitted(self) -> None:
        if self.needs_training and not self.is_fitted:
            raise ModelError(not_trained(self.name))

    # -- suggesting -------------------------------------------------------------------------------------------
    def _rank(self, post: Post, k: int) -> list[Suggestion]:
        raise NotImplementedError

    def suggest(self, post: Post, k: int = 10) -> list[Suggestion]:
        self._check_fitted()
        # the model's own top k first (its order may depend on k); twice as many, up to 8 times, only when
        # finalize dropped some (the post's own or blocked tags) and the model has more
        want = k
        for _ in range(8):
            ranked = self._rank(post, want)
            out = finalize(ranked, post, k)
            if len(out) >= k or len(ranked) < want:
                break
            want *= 2
        return out

    def suggest_batch(self, posts: Sequence[Post], k: int = 10) -> list[list[Suggestion]]:
        return [self.suggest(p, k) for p in posts]

    # -- persistence ------------------------------------------------------------------------------------------
    def _save_state(self, directory: Path) -> None:
        """Write learned state into ``directory`` (a model with no learned state writes nothing)."""

    def _load_state(self, directory: Path) -> None:
        """Read the state written by ``_save_state``."""

    def save(self, directory: str | Path) -> Path:
        """Write the model into ``directory`` (created if needed, updated when it holds a taglens model).

        The state is first written into a hidden folder inside ``directory``, so a failure or an interruption while
        writing (the long part) leaves the model that was there intact. Then the files of that old model (those its
        config.json lists) are removed, the new ones moved in (renames), and config.json written last. Files of the
        user's in the same folder are never touched, and a non-empty folder without a taglens model is refused.
        """
        directory = Path(directory)
        if directory.exists() and not directory.is_dir():
            raise OutputError(f"{directory}: exists and is not a folder; cannot save a model there")
        if directory.is_dir() and not is_model_dir(directory) and any(
                not p.name.startswith(_SAVING) for p in directory.iterdir()):
            raise ModelError(f"{directory}: folder is not empty and holds no taglens model; will not overwrite it")
        created = not directory.exists()
        try:
            directory.mkdir(parents=True, exist_ok=True)
            tmp = staging_folder(directory, _SAVING)
        except OSError as exc:
            raise OutputError(f"{directory}: cannot save the model ({os_reason(exc)})") from None
        try:
            self._save_state(tmp)
            written = sorted(p.name for p in tmp.iterdir())
            config = {
                "taglens": {"version": __version__, "format": FORMAT_VERSION, "type": self.name},
                "params": _jsonable(self.get_params()),
                "files": written,
            }
            for name in _model_files(directory) - set(written):
                _remove(directory / name)
            for name in written:
                _remove(directory / name)
                os.replace(tmp / name, directory / name)
            staged = tmp / "config.json"
            staged.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            os.replace(staged, directory / "config.json")
            tmp.rmdir()
        except BaseException as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            if created:  # a folder this save made is not left behind, empty
                shutil.rmtree(directory, ignore_errors=True)
            if isinstance(exc, OSError):
                raise OutputError(f"{directory}: cannot save the model ({os_reason(exc)})") from None
            raise
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> "BaseSuggester":
        model = load_model_dir(Path(directory))
        if not isinstance(model, cls):
            raise ModelError(f"{directory}: holds a {model.name!r} model, not a {cls.name!r} model")
        return model


_SAVING = ".taglens-saving-"  # the hidden folder a save writes into first


def _model_files(directory: Path) -> set[str]:
    """The entries the model saved in ``directory`` listed in its config.json (none for models saved before the
    list was kept: their files are replaced by name only)."""
    try:
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return set()
    files = config.get("files") if isinstance(config, dict) else None
    if not isinstance(files, list):
        return set()
    # only plain names inside the folder: a tampered list must not reach outside it
    return {f for f in files if isinstance(f, str) and f not in ("", ".", "..", "config.json")
            and "/" not in f and "\\" not in f and not f.startswith(_SAVING)}


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def is_model_dir(directory: Path) -> bool:
    """Whether ``directory`` holds a config.json written by ``save`` (a 'taglens' envelope with type and format),
    of any format version; a folder with some other config.json is not a model folder."""
    try:
        config = json.loads((Path(directory) / "config.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    envelope = config.get("taglens") if isinstance(config, dict) else None
    return isinstance(envelope, dict) and "type" in envelope and "format" in envelope


def read_config(directory: Path) -> dict[str, Any]:
    path = directory / "config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{directory}: not a taglens model directory (no config.json)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: unreadable model config ({exc})") from None
    envelope = config.get("taglens") if isinstance(config, dict) else None
    if not isinstance(envelope, dict) or "type" not in envelope:
        raise ModelError(f"{path}: not a taglens model config (no 'taglens' envelope with a 'type')")
    if not isinstance(envelope["type"], str):
        raise ModelError(f"{path}: model type {envelope['type']!r} is not a name")
    if envelope.get("format") != FORMAT_VERSION:
        raise ModelError(
            f"{path}: written in model format {envelope.get('format')!r} by taglens {envelope.get('version')}, "
            f"this taglens {__version__} reads format {FORMAT_VERSION}; retrain or use a matching taglens"
        )
    written = _version_tuple(envelope.get("version"))
    if written is None:
        raise ModelError(f"{path}: taglens version {envelope.get('version')!r} is not a version number")
    if written > _version_tuple(__version__):
        # an older taglens may misread what a newer one wrote in the same format (new parameters, new files)
        raise ModelError(f"{path}: written by taglens {envelope['version']}, newer than this taglens {__version__}; "
                         f"upgrade taglens to use this model")
    if not isinstance(config.get("params", {}), dict):
        raise ModelError(f"{path}: 'params' is {type(config['params']).__name__}, not an object of parameters")
    return config


def _version_tuple(version: Any) -> tuple[int, ...] | None:
    """(major, minor, patch) of a version like '0.1.0' (a suffix such as '.dev1' or 'rc1' is ignored)."""
    parts = re.match(r"^(\d+)\.(\d+)(?:\.(\d+))?", version) if isinstance(version, str) else None
    return tuple(int(p or 0) for p in parts.groups()) if parts else None


def load_model_dir(directory: Path) -> BaseSuggester:
    from ..registry import is_suggester

    config = read_config(directory)
    kind = config["taglens"]["type"]
    if not is_suggester(kind):
        raise ModelError(f"{directory}: model type {kind!r} is not known to this taglens {__version__}")
    model = _create_from_config(directory, config)
    try:
        model._load_state(directory)
    except ModelError:
        raise
    except Exception as exc:  # noqa: BLE001 - numpy, safetensors, json, ... each raise their own errors
        raise _state_error(directory, config, exc) from None
    model.fitted_ = True
    return model


def _written_by(config: dict[str, Any]) -> str:
    return f"written by taglens {config['taglens'].get('version', '?')}, this is taglens {__version__}"


def _create_from_config(directory: Path, config: dict[str, Any]) -> BaseSuggester:
    """The untrained model of ``config``; parameters this version does not take are a clear ModelError."""
    from ..registry import create_suggester, list_suggesters, suggester_parameters

    kind = config["taglens"]["type"]
    params = config.get("params", {})
    try:
        return create_suggester(kind, **params)
    except ModelError:
        raise
    except (TypeError, ValueError) as exc:
        known = suggester_parameters(kind)
        unknown = sorted(set(params) - known) if known is not None else []
        if unknown and config["taglens"].get("version") == __version__:  # saved params are the whole set
            fitting = [other for other in list_suggesters() if set(params) == suggester_parameters(other)]
            if fitting:
                raise ModelError(f"model folder {directory}: its config.json says {kind!r}, but its parameters "
                                 f"({', '.join(unknown)}) fit {' or '.join(map(repr, fitting))}: the type was "
                                 f"changed by hand, or the config belongs to another folder") from None
        if unknown:
            raise ModelError(
                f"model folder {directory} was written with parameters a {kind!r} model of this version does "
                f"not know: "
                f"{', '.join(unknown)} ({_written_by(config)}); retrain the model or use a matching taglens"
            ) from None
        raise ModelError(f"{directory}: config.json 'params' do not fit a {kind!r} model "
                         f"({type(exc).__name__}: {exc}; {_written_by(config)})") from None


def _state_error(directory: Path, config: dict[str, Any], exc: Exception) -> ModelError:
    """A ModelError naming what could not be loaded: a corrupt state file, a missing one, or else the folder."""
    kind = config["taglens"]["type"]
    bad = _corrupt_state_file(directory)
    if bad is not None:
        path, problem = bad
        return ModelError(f"{path}: corrupt or truncated model file ({problem}); retrain the model or restore "
                          f"the file")
    if isinstance(exc, FileNotFoundError):
        missing = Path(exc.filename).name if exc.filename else str(exc)
        return ModelError(f"{directory}: a {kind!r} model needs a file that is not there ({missing}); was the "
                          f"folder written by another model type or taglens version? ({_written_by(config)})")
    return ModelError(f"{directory}: cannot load {kind!r} model state ({type(exc).__name__}: {exc}; "
                      f"{_written_by(config)})")


def _corrupt_state_file(directory: Path) -> tuple[Path, str] | None:
    """The first state file in ``directory`` that cannot be read (safetensors, npy, npz), with its problem."""
    import zipfile

    try:
        files = sorted(p for p in directory.iterdir() if p.is_file())
    except OSError:
        return None
    for path in files:
        try:
            if path.suffix == ".safetensors":
                from safetensors import safe_open

                with safe_open(str(path), "np"):  # checks the header and the tensors' extent
                    pass
            elif path.suffix == ".npy":
                import numpy as np

                np.load(path, mmap_mode="r", allow_pickle=False)
            elif path.suffix == ".npz":
                with zipfile.ZipFile(path) as z:
                    broken = z.testzip()
                if broken is not None:
                    return path, f"member {broken} is damaged"
        except Exception as exc:  # noqa: BLE001 - each format raises its own errors
            return path, f"{type(exc).__name__}: {exc}"
    return None


def finalize(ranked: Sequence[Suggestion], post: Post, k: int) -> list[Suggestion]:
    """Best-first, without the post's own tags, blocked tags (``taglens.blocklist``), junk (engagement bait and
    tags that do not read as hashtags, ``taglens.knowledge.junk``, unless TAGLENS_ALLOW_GENERIC is set), empty tags
    or duplicates, at most ``k``."""
    from ..blocklist import blocked_tags, is_blocked
    from ..knowledge.junk import allow_generic_from_env, junk_reason
    from ..types import normalize_tag

    have = set(post.hashtags)
    blocked = blocked_tags()
    allow_generic = allow_generic_from_env()
    out: list[Suggestion] = []
    seen: set[str] = set()
    for s in sorted(ranked, key=lambda s: -s.score):  # stable: ties keep the model's order
        tag = normalize_tag(s.tag)
        if not tag or tag in have or tag in seen or is_blocked(tag, blocked):
            continue
        if not allow_generic and junk_reason(tag, allow_generic=False) is not None:
            continue
        seen.add(tag)
        out.append(s if tag == s.tag else Suggestion(tag, s.score, s.source, s.reason, s.confidence))
        if len(out) >= k:
            break
    return out
