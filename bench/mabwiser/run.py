#!/usr/bin/env python3
"""Compare Strata's bandit policies with MABWiser on identical reward tables.

Draws the rewards once per seed (10 Bernoulli arms, best 0.5, others 0.4; T = 100,000;
10 seeds) into CSV tables, runs MABWiser's Thompson sampling, UCB1 and epsilon-greedy (0.1)
on them, runs `strata bandit simulate --rewards-table` on the same tables, and checks:

1. UCB1's decisions are identical, step for step (MABWiser's UCB1 index is
   mean + alpha * sqrt(2 ln N / n), the same as ours, so both get alpha = 1);
2. for every policy, our mean pseudo-regret lies within MABWiser's 95% interval
   (mean +- 1.96 sd / sqrt(seeds), sd over seeds - 1);
3. and it reports the decisions-per-second ratio (ours / MABWiser's).

Run with any python3: the script creates bench/mabwiser/.venv, installs mabwiser into it, and
re-runs itself there. See README.md for the exact commands.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.join(HERE, ".venv")
VENV_PYTHON = os.path.join(VENV, "bin", "python")

MEANS = [0.5] + [0.4] * 9
POLICIES = ["ts", "ucb1", "egreedy"]
EPSILON = 0.1
UCB_ALPHA = 1.0


def ensure_venv():
    """Re-executes this script inside bench/mabwiser/.venv, creating it when missing."""
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(VENV_PYTHON):
        print(f"creating {VENV} and installing mabwiser", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([VENV_PYTHON, "-m", "pip", "install", "-q", "mabwiser"], check=True)
    os.execv(VENV_PYTHON, [VENV_PYTHON, os.path.abspath(__file__)] + sys.argv[1:])


def mean_interval(values):
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    half = 1.96 * sd / math.sqrt(n)
    return {"mean": mean, "sd": sd, "ci95_low": mean - half, "ci95_high": mean + half}


def draw_tables(np, seeds, horizon, work_dir):
    """One T x K 0/1 reward table per seed, as CSV with a header row."""
    paths = {}
    for seed in seeds:
        rng = np.random.default_rng(seed)
        table = (rng.random((horizon, len(MEANS))) < np.array(MEANS)).astype(np.int8)
        path = os.path.join(work_dir, f"rewards_seed{seed}.csv")
        header = ",".join(f"arm_{a}" for a in range(len(MEANS)))
        np.savetxt(path, table, fmt="%d", delimiter=",", header=header, comments="")
        paths[seed] = (path, table)
    return paths


def pseudo_regret(decisions):
    best = max(MEANS)
    return sum(best - MEANS[a] for a in decisions)


def run_mabwiser(policy, table, seed):
    """Plays the table with MABWiser; returns (decisions, seconds)."""
    from mabwiser.mab import MAB, LearningPolicy

    learning = {
        "ts": LearningPolicy.ThompsonSampling(),
        "ucb1": LearningPolicy.UCB1(alpha=UCB_ALPHA),
        "egreedy": LearningPolicy.EpsilonGreedy(epsilon=EPSILON),
    }[policy]
    arms = list(range(len(MEANS)))
    mab = MAB(arms=arms, learning_policy=learning, seed=seed)
    # MABWiser needs a fit before its first prediction, and its UCB1 scores unplayed arms as 0
    # rather than playing each once. Warm-starting with one pull of every arm in index order
    # is exactly textbook UCB1's first K steps (and ours); for TS and epsilon-greedy it adds at
    # most K forced pulls (regret <= K * 0.1).
    warm = arms
    started = time.perf_counter()
    mab.fit(decisions=warm, rewards=[int(table[t, a]) for t, a in enumerate(warm)])
    decisions = list(warm)
    for t in range(len(warm), table.shape[0]):
        arm = mab.predict()
        decisions.append(arm)
        mab.partial_fit(decisions=[arm], rewards=[int(table[t, arm])])
    seconds = time.perf_counter() - started
    return decisions, seconds


def run_strata(strata, policy, table_path, seed, horizon, work_dir):
    """Runs our CLI on one table; returns (summary JSON, decisions)."""
    decisions_path = os.path.join(work_dir, f"strata_{policy}_seed{seed}_decisions.csv")
    command = [
        strata, "bandit", "simulate",
        "--means", ",".join(str(m) for m in MEANS),
        "--rewards-table", table_path,
        "--horizon", str(horizon),
        "--seeds", "1",
        "--first-seed", str(seed),
        "--policy", policy,
        "--decisions", decisions_path,
    ]
    if policy == "ucb1":
        command += ["--alpha", str(UCB_ALPHA)]
    if policy == "egreedy":
        command += ["--epsilon", str(EPSILON)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"strata failed ({' '.join(command)}):\n{result.stderr}")
    summary = json.loads(result.stdout)
    with open(decisions_path) as f:
        lines = f.read().split()
    decisions = [int(v) for v in lines[1:]]
    return summary, decisions


def main():
    ensure_venv()
    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--strata", help="path to the strata binary (omit with --python-only)")
    parser.add_argument("--horizon", type=int, default=100_000)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--policies", default=",".join(POLICIES))
    parser.add_argument("--work-dir", help="where tables and decisions go (default: a temp dir)")
    parser.add_argument("--python-only", action="store_true",
                        help="run MABWiser only (no strata binary needed)")
    args = parser.parse_args()
    if not args.python_only and not args.strata:
        parser.error("give --strata PATH (or --python-only)")
    policies = [p for p in args.policies.split(",") if p]
    for p in policies:
        if p not in POLICIES:
            parser.error(f"unknown policy {p}; choose from {POLICIES}")
    work_dir = args.work_dir or tempfile.mkdtemp(prefix="strata-mabwiser-")
    os.makedirs(work_dir, exist_ok=True)
    seeds = list(range(1, args.seeds + 1))
    print(f"tables and decisions in {work_dir}", file=sys.stderr)
    tables = draw_tables(np, seeds, args.horizon, work_dir)

    report = {"horizon": args.horizon, "seeds": seeds, "means": MEANS, "policies": {}}
    failures = []
    for policy in policies:
        mw_regret, mw_seconds, mw_decisions = [], 0.0, {}
        for seed in seeds:
            decisions, seconds = run_mabwiser(policy, tables[seed][1], seed)
            mw_regret.append(pseudo_regret(decisions))
            mw_seconds += seconds
            mw_decisions[seed] = decisions
        entry = {
            "mabwiser_regret": mean_interval(mw_regret),
            "mabwiser_decisions_per_second": args.horizon * len(seeds) / mw_seconds,
        }
        print(f"{policy}: MABWiser regret {entry['mabwiser_regret']['mean']:.1f} "
              f"[{entry['mabwiser_regret']['ci95_low']:.1f}, "
              f"{entry['mabwiser_regret']['ci95_high']:.1f}], "
              f"{entry['mabwiser_decisions_per_second']:.0f} decisions/s", file=sys.stderr)
        if not args.python_only:
            ours, rates, mismatched_steps, first_mismatch = [], [], 0, None
            for seed in seeds:
                summary, decisions = run_strata(
                    args.strata, policy, tables[seed][0], seed, args.horizon, work_dir)
                ours.append(summary["regret"]["mean"])
                if summary.get("decisions_per_second") is not None:
                    rates.append(summary["decisions_per_second"])
                recomputed = pseudo_regret(decisions)
                if abs(recomputed - summary["regret"]["mean"]) > 1e-6 * max(1.0, recomputed):
                    failures.append(f"{policy} seed {seed}: reported regret does not match "
                                    "the decisions file")
                if policy == "ucb1":
                    theirs = mw_decisions[seed]
                    for t, (a, b) in enumerate(zip(decisions, theirs)):
                        if a != b:
                            mismatched_steps += 1
                            if first_mismatch is None:
                                first_mismatch = {"seed": seed, "step": t, "strata": a,
                                                  "mabwiser": b}
                    mismatched_steps += abs(len(decisions) - len(theirs))
            entry["strata_regret"] = mean_interval(ours)
            ours_mean = entry["strata_regret"]["mean"]
            inside = (entry["mabwiser_regret"]["ci95_low"] <= ours_mean
                      <= entry["mabwiser_regret"]["ci95_high"])
            entry["strata_mean_within_mabwiser_ci95"] = inside
            if not inside:
                failures.append(f"{policy}: our mean regret {ours_mean:.2f} lies outside "
                                f"MABWiser's 95% interval")
            if rates:
                # Total decisions over total time, like MABWiser's figure.
                seconds = sum(args.horizon / r for r in rates)
                entry["strata_decisions_per_second"] = args.horizon * len(rates) / seconds
                entry["speed_ratio_strata_over_mabwiser"] = (
                    entry["strata_decisions_per_second"]
                    / entry["mabwiser_decisions_per_second"])
            if policy == "ucb1":
                entry["ucb1_mismatched_decisions"] = mismatched_steps
                entry["ucb1_first_mismatch"] = first_mismatch
                if mismatched_steps:
                    failures.append(f"ucb1: {mismatched_steps} decisions differ, first "
                                    f"{first_mismatch}")
        report["policies"][policy] = entry

    report["failures"] = failures
    print(json.dumps(report, indent=2))
    print(f"{'policy':<8} {'MABWiser regret [95% CI]':>32} {'Strata regret':>14} "
          f"{'in CI':>6} {'speed ratio':>12}", file=sys.stderr)
    for policy, e in report["policies"].items():
        m = e["mabwiser_regret"]
        ours = e.get("strata_regret", {}).get("mean")
        ratio = e.get("speed_ratio_strata_over_mabwiser")
        print(f"{policy:<8} {m['mean']:>10.1f} [{m['ci95_low']:>8.1f}, {m['ci95_high']:>8.1f}] "
              f"{'' if ours is None else f'{ours:14.1f}':>14} "
              f"{str(e.get('strata_mean_within_mabwiser_ci95', '-')):>6} "
              f"{'' if ratio is None else f'{ratio:11.1f}x':>12}", file=sys.stderr)
    if failures:
        print("FAIL:\n  " + "\n  ".join(failures), file=sys.stderr)
        sys.exit(1)
    print("all checks passed", file=sys.stderr)


if __name__ == "__main__":
    main()
