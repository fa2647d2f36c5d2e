"""Benchmark: assign 5 experts to each of 2,000 applications from a pool of 3,000 experts, with hard
conflict avoidance (same institution as the PI or a team member, team membership, declared conflicts)
and load caps; every constraint is verified in the same run.

    uv run python benchmarks/research_assign.py            # 2,000 applications, 3,000 experts
    uv run python benchmarks/research_assign.py --quick    # 200 applications, 300 experts

The pool comes from `weijian.research.assignment.synthetic_pool` (specialties, institutions of uneven
size, teams of 3-8 that include some experts, ~20,000 declared conflicts, caps 5-10, some
reassignment rounds). Timed: `assign` (goal <= 5 s) and the independent `verify`, best of three
seeds. This measures the algorithm the service `research.services.reviews_assign` runs; the service's
database reads and the bulk insert of 10,000 assignment rows come on top (a DB-backed run joins this
benchmark with the review pages). Prints a line per seed, then as the LAST line one JSON object.
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from weijian.research.assignment import assign, synthetic_pool, verify  # noqa: E402 - after the path

GOAL_S = 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 applications, 300 experts")
    args = parser.parse_args()
    applications, experts = (200, 300) if args.quick else (2_000, 3_000)
    runs = []
    for seed in (1, 2, 3):
        needs, pool = synthetic_pool(applications, experts, seed=seed)
        started = time.perf_counter()
        result = assign(needs, pool, seed=seed)
        assign_s = time.perf_counter() - started
        started = time.perf_counter()
        problems = verify(needs, pool, result)
        verify_s = time.perf_counter() - started
        assigned = sum(len(v) for v in result.pairs.values())
        short = sum(result.shortfalls.values())
        print(f"seed {seed}: assigned {assigned} of {sum(n.experts_needed for n in needs)} "
              f"(shortfall {short} on {len(result.shortfalls)} applications) in {assign_s:.3f} s; "
              f"verified in {verify_s:.3f} s: {len(problems)} problems")
        if problems:
            print("\n".join(problems[:20]))
        runs.append({"assign_s": assign_s, "verify_s": verify_s, "problems": len(problems),
                     "assigned": assigned, "shortfall": short})
    best = min(runs, key=lambda r: r["assign_s"])
    full = not args.quick
    print(json.dumps({
        "applications": applications, "experts": experts, "experts_per_application": 5,
        "assign_s": round(best["assign_s"], 3), "worst_assign_s": round(max(r["assign_s"] for r in runs), 3),
        "verify_s": round(best["verify_s"], 3), "problems": sum(r["problems"] for r in runs),
        "assigned": best["assigned"], "shortfall": best["shortfall"], "goal_s": GOAL_S,
        "goal_met": (max(r["assign_s"] for r in runs) <= GOAL_S and all(r["problems"] == 0 for r in runs))
        if full else None,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
