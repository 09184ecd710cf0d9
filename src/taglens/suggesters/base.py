"""The Suggester protocol, a base class with the shared plumbing (``suggest`` over ``_rank``, ``finalize``,
``save``/``load`` through :mod:`taglens.model_folder`)."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable, Protocol, Sequence, runtime_checkable

from ..exceptions import ModelError
from ..types import Post, Suggestion
if TYPE_CHECKING:
    from .tags import Evidence


@runtime_checkable
class Suggester(Protocol):
    """What every registered model offers. ``name`` is the name it was registered (or saved) under: the registry
    stamps it on every model it creates."""

    name: str

    def fit(self, posts: Sequence[Post]) -> "Suggester": ...

    def suggest(self, post: Post, k: int = 10) -> list[Suggestion]: ...

    def suggest_batch(self, posts: Sequence[Post], k: int = 10) -> list[list[Suggestion]]: ...

    def uses_input(self, post: Post) -> bool:
        """Whether the post holds anything this model reads (an ensemble asks only the members that do)."""
        ...

    def evidence(self, post: Post, k: int = 50) -> Evidence:
        """Up to ``k`` tags with (score, reason), before the post's own and blocked tags are removed."""
        ...


def keep_params(model: Any, params: dict[str, Any]) -> None:
    """Store an ``__init__``'s keyword hyperparameters (pass its ``locals()``) on the model unchanged, as
    ``BaseSuggester`` asks of every model (``get_params`` reads them back by the signature's names)."""
    for name, value in params.items():
        if name not in ("self", "__class__"):
            setattr(model, name, value)


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

    name: str = "base"  # the registered name: the registry stamps it on each model it creates
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

    def uses_input(self, post: Post) -> bool:
        """Every post, unless the model says otherwise."""
        return True

    def evidence(self, post: Post, k: int = 50) -> Evidence:
        """The model's own ranking of ``k`` tags as evidence (a model that scores tags more directly overrides it)."""
        self._check_fitted()
        out: Evidence = {}
        for s in sorted(self._rank(post, k), key=lambda s: -s.score):  # stable: ties keep the model's order
            if len(out) >= k:
                break
            out.setdefault(s.tag, (float(s.score), s.reason))
        return out

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
        """Write the model into ``directory`` (``taglens.model_folder.save_model``: atomic, keeps the user's other
        files, refuses a non-empty folder without a taglens model)."""
        from ..model_folder import save_model

        return save_model(self, directory)

    @classmethod
    def load(cls, directory: str | Path) -> "BaseSuggester":
        from ..model_folder import load_model_dir

        model = load_model_dir(Path(directory))
        if not isinstance(model, cls):
            raise ModelError(f"{directory}: holds a {model.name!r} model, not a {cls.name!r} model")
        return model


def unwanted_tags(post_tags: Iterable[str] = (), text: str | None = None) -> Callable[[str], bool]:
    """The test of a tag no model suggests: blocked (``taglens.blocklist``) or junk (engagement bait and tags that
    do not read as hashtags, ``taglens.knowledge.junk``, unless TAGLENS_ALLOW_GENERIC is set). Engagement bait is
    suggested to a post that already carries some (``post_tags``: its author tags that way, #instagood #like4like,
    and wants more of them: 1 in 3 HARRISON posts); never to one that does not, except the bait its caption
    ``text`` shows to be true of it (``junk.shown_bait``: #repost under a repost's credit line); a tag that joins the
    words of a name the caption writes (``junk.named_tags``: #knottsberryfarm under "@ Knott's Berry Farm") reads
    as a hashtag there. The list and the setting are read once, when it is made (once per post or batch, not once
    per tag)."""
    from ..blocklist import blocked_tags, is_blocked
    from ..knowledge.junk import allow_generic_from_env, contracted_tags, is_bait, junk_reason, named_tags, shown_bait

    blocked = blocked_tags()
    allow_generic = allow_generic_from_env()
    allow_bait = any(is_bait(t) for t in post_tags)
    shown = shown_bait(text)
    named = named_tags(text)
    contracted = contracted_tags(text)

    def unwanted(tag: str) -> bool:
        if is_blocked(tag, blocked) or allow_generic:
            return is_blocked(tag, blocked)
        if is_bait(tag):
            return not (allow_bait or tag in shown)
        if tag in contracted:  # "I've" written in the caption: no #ive
            return True
        return tag not in named and junk_reason(tag, allow_generic=False) is not None

    return unwanted


def finalize(ranked: Sequence[Suggestion], post: Post, k: int) -> list[Suggestion]:
    """Best-first, without the post's own tags, tags no model suggests (``unwanted_tags``: blocked tags and junk),
    empty tags or duplicates, at most ``k``."""
    from ..types import normalize_tag

    have = set(post.hashtags)
    unwanted = unwanted_tags(have, post.text)
    out: list[Suggestion] = []
    seen: set[str] = set()
    for s in sorted(ranked, key=lambda s: -s.score):  # stable: ties keep the model's order
        tag = normalize_tag(s.tag)
        if not tag or tag in have or tag in seen or unwanted(tag):
            continue
        seen.add(tag)
        out.append(s if tag == s.tag else Suggestion(tag, s.score, s.source, s.reason, s.confidence))
        if len(out) >= k:
            break
    return out
