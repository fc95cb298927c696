"""``rnnlab ngram fit`` and ``rnnlab ngram score``: KenLM-compatible n-gram models."""

from __future__ import annotations

import argparse
import sys

from ..io import write_json
from .budget import DEFAULT_MEMORY
from .fit import MAX_ORDER, fit_arpa
from .kneser_ney import DEFAULT_FALLBACK
from .model import ArpaModel

_CONVENTIONS = (
    "Input: one sentence per line, tokens separated by whitespace, UTF-8; blank lines are skipped. "
    "Each sentence is modelled as <s> w1 .. wk </s>; <s> and </s> may not appear in the text, and a "
    "literal <unk> is an occurrence of the unknown word."
)


def _run_fit(args: argparse.Namespace) -> int:
    stats = fit_arpa(args.input, args.order, args.arpa, discount_fallback=tuple(args.discount_fallback),
                     memory=args.memory, temp_dir=args.temp_dir)
    for n in stats.fallback_orders:
        d = stats.discounts[n - 1]
        print(f"Substituting fallback discounts for order {n}: D1={d.d1:g} D2={d.d2:g} D3+={d.d3:g}",
              file=sys.stderr)
    print(f"Unigram tokens {stats.tokens} types {stats.types}")
    print("\n".join(stats.statistics_lines()))
    print(f"Sorted runs per order from bigrams: {stats.runs}; temporary disk at most "
          f"{stats.temp_peak_bytes / 2**20:.1f} MiB")
    print(f"Wrote {args.arpa} in {stats.seconds:.2f} s")
    if args.stats_json:
        write_json(args.stats_json, {"input": str(args.input), "arpa": str(args.arpa), **stats.to_dict()})
    return 0


def _run_score(args: argparse.Namespace) -> int:
    summary = ArpaModel.load(args.arpa).score_file(args.input)
    lines = summary.sentence_lines() if args.per_sentence else []
    print("\n".join(lines + summary.summary_lines()))
    if args.json:
        write_json(args.json, {"input": str(args.input), "arpa": str(args.arpa),
                               **summary.to_dict(per_sentence=args.per_sentence)})
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``ngram fit`` and ``ngram score``."""
    parser = sub.add_parser(
        "ngram",
        help="Fit and score interpolated modified Kneser-Ney n-gram models (ARPA files).",
        description="Interpolated modified Kneser-Ney n-gram language models that reproduce KenLM's "
        "lmplz (default settings) and query. " + _CONVENTIONS,
    )
    actions = parser.add_subparsers(dest="ngram_command", metavar="ACTION", required=True)

    fit = actions.add_parser(
        "fit",
        help="Train a model on a text file and write it as ARPA.",
        description="Count n-grams, estimate discounts (printed like lmplz's Statistics block) and write "
        "an ARPA model atomically. " + _CONVENTIONS,
    )
    fit.add_argument("--order", type=int, required=True, metavar="N", help=f"n-gram order, 1 to {MAX_ORDER}.")
    fit.add_argument("--input", required=True, metavar="TRAIN.txt", help="Training text.")
    fit.add_argument("--arpa", required=True, metavar="OUT.arpa", help="Where to write the ARPA model.")
    fit.add_argument(
        "--discount-fallback", nargs=3, type=float, default=list(DEFAULT_FALLBACK), metavar=("D1", "D2", "D3+"),
        help="Discounts used for an order whose counts-of-counts give invalid ones "
        "(default: %(default)s, as lmplz --discount_fallback).",
    )
    fit.add_argument("--memory", default=DEFAULT_MEMORY, metavar="SIZE",
                     help="Memory budget, bytes with an optional K/M/G/T suffix, like lmplz -S (default %(default)s); "
                     "counting sorts on disk beyond it.")
    fit.add_argument("--temp-dir", metavar="DIR",
                     help="Folder for the temporary sorted runs (default: the folder of --arpa); removed at the end.")
    fit.add_argument("--stats-json", metavar="PATH", help="Also write counts, discounts and timing as JSON.")
    fit.set_defaults(func=_run_fit)

    score = actions.add_parser(
        "score",
        help="Score a text file with an ARPA model (perplexity, OOVs).",
        description="Score each line on its own, like KenLM's query, and print its summary: perplexity "
        "including and excluding OOVs, OOV count and token count (</s> included). " + _CONVENTIONS,
    )
    score.add_argument("--arpa", required=True, metavar="MODEL.arpa", help="ARPA model to load.")
    score.add_argument("--input", required=True, metavar="TEST.txt", help="Text to score.")
    score.add_argument("--per-sentence", action="store_true",
                       help="First print 'Total: <log10 prob> OOV: <count>' for every sentence.")
    score.add_argument("--json", metavar="PATH", help="Also write the summary (and per-sentence totals) as JSON.")
    score.set_defaults(func=_run_score)
