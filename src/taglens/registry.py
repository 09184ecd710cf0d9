"""A registry of named suggesters (timm-style decorator). It imports no suggester: the built-in modules register
themselves when first asked for (``_BUILTIN_MODULES``); saved model folders are :mod:`taglens.model_folder`'s."""
from __future__ import annotations

import difflib
import fnmatch
import importlib
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .exceptions import UnknownModelError

# Modules whose import registers the built-in suggesters. Each keeps heavy imports inside functions. A name is
# looked for in them in this order, importing only as far as needed (the default model's first: a cold
# `taglens suggest` imports no other suggester module).
_BUILTIN_MODULES = (
    "taglens.suggesters.taglens_base",
    "taglens.suggesters.baselines",
    "taglens.suggesters.zeroshot",
    "taglens.suggesters.text",
    "taglens.suggesters.image",
    "taglens.suggesters.attention",
    "taglens.suggesters.cnn_lstm",
    "taglens.suggesters.user_conditional",
    "taglens.suggesters.ensemble",
)


@dataclass(frozen=True)
class _Entry:
    name: str
    factory: Callable[..., Any]
    description: str
    trainable: bool


_REGISTRY: dict[str, _Entry] = {}
_loaded = False


def register_suggester(name: str, description: str = "", trainable: bool = True) -> Callable:
    """Register ``factory(**overrides) -> Suggester`` under ``name`` (lowercase, hyphens or underscores)."""

    def wrap(factory: Callable[..., Any]) -> Callable[..., Any]:
        if name in _REGISTRY and _REGISTRY[name].factory is not factory:
            raise ValueError(f"suggester {name!r} is registered twice")
        doc = description or next(iter((factory.__doc__ or "").strip().splitlines()), "")
        _REGISTRY[name] = _Entry(name, factory, doc, trainable)
        return factory

    return wrap


def _load_builtins(name: str | None = None) -> None:
    """Import the built-in suggester modules: all of them, or (``name``) only until one has registered ``name``."""
    global _loaded
    if _loaded or (name is not None and name in _REGISTRY):
        return
    for module in _BUILTIN_MODULES:
        importlib.import_module(module)
        if name is not None and name in _REGISTRY:
            return
    _loaded = True


def list_suggesters(pattern: str = "*", hidden: bool = False) -> list[str]:
    """Registered names matching ``pattern``; the tiny ``test_*`` models of the test suite only with ``hidden``
    or a pattern that asks for them (``test_*``)."""
    _load_builtins()
    hidden = hidden or pattern.startswith("test")
    return sorted(n for n in _REGISTRY if fnmatch.fnmatch(n, pattern) and (hidden or not n.startswith("test_")))


def describe_suggester(name: str) -> str:
    _load_builtins(name)
    return _REGISTRY[name].description


def is_suggester(name: str) -> bool:
    _load_builtins(name)
    return name in _REGISTRY


def create_suggester(name: str, **overrides: Any) -> Any:
    """Create an untrained suggester by registered name, its ``name`` that name; raises UnknownModelError listing
    close matches."""
    _load_builtins(name)
    if name not in _REGISTRY:
        names = list_suggesters()
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known models: {', '.join(names)}"
        raise UnknownModelError(f"unknown model {name!r}{hint}")
    model = _REGISTRY[name].factory(**overrides)
    model.name = name  # one factory may serve several names (effnet-linear, effnet-mlp)
    return model


def suggester_parameters(name: str) -> set[str] | None:
    """The keyword parameters the registered suggester ``name`` takes (its class's ``__init__``), None when it
    takes any keyword or cannot tell."""
    try:
        model = create_suggester(name)
        sig = inspect.signature(type(model).__init__)
    except Exception:  # noqa: BLE001 - a model that cannot be created without arguments: no answer
        return None
    if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        return None
    return {p for p in sig.parameters if p != "self"}


def bundled_model_dir(name: str) -> Path | None:
    """The folder of the model bundled under ``name`` (e.g. ``taglens-base``), None when there is none."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    bundled = Path(__file__).parent / "models" / name
    return bundled if (bundled / "config.json").is_file() else None
