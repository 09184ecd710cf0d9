"""The Suggester protocol, a base class with the shared plumbing, and the saved-model directory format.

A saved model is a directory holding ``config.json`` (an envelope ``{"taglens": {"version", "format", "type"}}``
plus the constructor parameters), and whatever state files the model writes (``weights.safetensors``,
``vocab.txt``, ``*.npz``). ``load_model_dir`` dispatches on ``type`` through the registry.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Protocol, Sequence, runtime_checkable

from ..exceptions import ModelError
from ..types import Post, Suggestion
from ..version import __version__

FORMAT_VERSION = 1


@runtime_checkable
class Suggester(Protocol):
    name: ClassVar[str]

    def fit(self, posts: Sequence[Post]) -> "Suggester": ...

    def suggest(self, post: Post, k: int = 10) -> list[Suggestion]: ...

    def suggest_batch(self, posts: Sequence[Post], k: int = 10) -> list[list[Suggestion]]: ...


class BaseSuggester:
    """Shared plumbing: ``suggest_batch`` (a loop), ``get_params``, ``__repr__``, ``save``/``load``.

    Subclasses implement ``fit`` and ``_rank(post, k) -> list[Suggestion]`` (best first, may include the post's
    own tags and duplicates: ``suggest`` removes them), and ``_save_state``/``_load_state`` for learned state.
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
            raise ModelError(f"model {self.name!r} is not trained: call fit() or load a trained model directory")

    # -- suggesting -------------------------------------------------------------------------------------------
    def _rank(self, post: Post, k: int) -> list[Suggestion]:
        raise NotImplementedError

    def suggest(self, post: Post, k: int = 10) -> list[Suggestion]:
        self._check_fitted()
        return finalize(self._rank(post, k), post, k)

    def suggest_batch(self, posts: Sequence[Post], k: int = 10) -> list[list[Suggestion]]:
        return [self.suggest(p, k) for p in posts]

    # -- persistence ------------------------------------------------------------------------------------------
    def _save_state(self, directory: Path) -> None:
        """Write learned state into ``directory`` (a model with no learned state writes nothing)."""

    def _load_state(self, directory: Path) -> None:
        """Read the state written by ``_save_state``."""

    def save(self, directory: str | Path) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        config = {
            "taglens": {"version": __version__, "format": FORMAT_VERSION, "type": self.name},
            "params": _jsonable(self.get_params()),
        }
        self._save_state(directory)
        (directory / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> "BaseSuggester":
        model = load_model_dir(Path(directory))
        if not isinstance(model, cls):
            raise ModelError(f"{directory}: holds a {model.name!r} model, not a {cls.name!r} model")
        return model


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


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
    if envelope.get("format") != FORMAT_VERSION:
        raise ModelError(
            f"{path}: written in model format {envelope.get('format')!r} by taglens {envelope.get('version')}, "
            f"this taglens {__version__} reads format {FORMAT_VERSION}; retrain or use a matching taglens"
        )
    return config


def load_model_dir(directory: Path) -> BaseSuggester:
    from ..registry import create_suggester, is_suggester

    config = read_config(directory)
    kind = config["taglens"]["type"]
    if not is_suggester(kind):
        raise ModelError(f"{directory}: model type {kind!r} is not known to this taglens {__version__}")
    model = create_suggester(kind, **config.get("params", {}))
    try:
        model._load_state(directory)
    except ModelError:
        raise
    except (OSError, KeyError, ValueError) as exc:
        raise ModelError(f"{directory}: cannot load {kind!r} model state ({type(exc).__name__}: {exc})") from None
    model.fitted_ = True
    return model


def finalize(ranked: Sequence[Suggestion], post: Post, k: int) -> list[Suggestion]:
    """Best-first, without the post's own tags, empty tags or duplicates, at most ``k``."""
    from ..types import normalize_tag

    have = set(post.hashtags)
    out: list[Suggestion] = []
    seen: set[str] = set()
    for s in sorted(ranked, key=lambda s: -s.score):  # stable: ties keep the model's order
        tag = normalize_tag(s.tag)
        if not tag or tag in have or tag in seen:
            continue
        seen.add(tag)
        out.append(s if tag == s.tag else Suggestion(tag, s.score, s.source, s.reason))
        if len(out) >= k:
            break
    return out
