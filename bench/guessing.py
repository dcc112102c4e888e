"""What a learner who has not read a module scores on its quiz, per module: chance and test-wise.

    .venv/bin/python bench/guessing.py [--modules DIR] [--papers 400]

Prints, for every complete module, the mean score and the share of attempts that pass under blind
chance and under the usual test-taking tricks (lti_tool/quizzes/guessing.py says which). A quiz
that gives its answers away shows a test-wise score well above chance.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from lti_tool.content import load_catalogue
from lti_tool.paths import modules_dir
from lti_tool.quizzes.guessing import expected_scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=Path, default=None, help="modules folder (default: shipped)")
    parser.add_argument("--papers", type=int, default=400, help="papers drawn per module and strategy")
    args = parser.parse_args()
    catalogue = load_catalogue(args.modules or modules_dir())
    print(f"{'module':8} {'pass':>4}  {'chance':>14}  {'test-wise':>14}")
    rows = []
    for module in catalogue:
        quiz = module.quiz("en")
        if not module.is_complete or quiz is None:
            continue
        by = {e.strategy: e for e in expected_scores(quiz, module.pass_mark, papers=args.papers)}
        rows.append(by)
        print(f"{module.id:8} {module.pass_mark:>3}%  "
              + "  ".join(f"{by[s].mean_percent:5.1f}% ({by[s].pass_rate:4.0%})" for s in ("chance", "test-wise")))
    if rows:
        mean = {s: sum(r[s].mean_percent for r in rows) / len(rows) for s in ("chance", "test-wise")}
        print(f"{'all':8}       {mean['chance']:5.1f}%         {mean['test-wise']:5.1f}%")


if __name__ == "__main__":
    main()
