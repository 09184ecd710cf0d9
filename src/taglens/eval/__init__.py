"""The one evaluation protocol of ../shared/EVALUATION.md: pure metric functions and the evaluator."""
from .metrics import HEADLINE as HEADLINE
from .protocol import evaluate as evaluate
from .protocol import prepare_query as prepare_query
