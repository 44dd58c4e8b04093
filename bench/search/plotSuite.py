"""
Best-so-far curves of the closed-form search suite (bench/searchSuite.ts): one panel per target, one
line per method, the mean over seeds of the noise-free Δ val_bpb (against the run's own baseline) of
the best configuration found so far, by trainings.

  /usr/bin/python3 bench/search/plotSuite.py bench/results/search-suite-runs.jsonl out.png TRAININGS SEEDS
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

runs_path, out_path, trainings, seeds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
targets = ["smooth", "noisy", "crash", "rugged", "joint"]
methods = ["A", "B", "C", "D", "tpe", "random", "optuna-tpe", "cmaes", "rls"]
labels = {"A": "A: L1", "B": "B: L1+1.5", "C": "C: L1+1.5+2", "D": "D: L1+2", "tpe": "tpe proposer (L1)", "random": "random", "optuna-tpe": "Optuna TPE", "cmaes": "CMA-ES", "rls": "random local search"}
styles = {"A": "-", "B": "-", "C": "-", "D": "-", "tpe": "-", "random": ":", "optuna-tpe": "--", "cmaes": "--", "rls": ":"}
runs = [json.loads(l) for l in open(runs_path) if l.strip()]
runs = [r for r in runs if r["requested"] == trainings and r["seed"] <= seeds]


def curve(trials):
    best, out = None, []
    base = trials[0]["clean"]
    for t in trials:
        if t["metric"] is not None and (best is None or t["metric"] < best["metric"]):
            best = t
        out.append(np.nan if best is None or best["clean"] is None or base is None else best["clean"] - base)
    out += [out[-1]] * (trainings + 1 - len(out))
    return out[: trainings + 1]


present = [t for t in targets if any(r["target"] == t for r in runs)]
fig, axes = plt.subplots(1, len(present), figsize=(4.2 * len(present), 4), sharey=False, squeeze=False)
for ax, target in zip(axes[0], present):
    for m in methods:
        mine = [r for r in runs if r["target"] == target and r["method"] == m]
        if not mine:
            continue
        ys = np.nanmean(np.array([curve(r["trials"]) for r in mine]), axis=0)
        ax.plot(range(trainings + 1), ys, styles[m], label=f"{labels[m]} ({len(mine)})")
    ax.set_title(target)
    ax.set_xlabel("trainings after the baseline")
    ax.grid(alpha=0.3)
axes[0][0].set_ylabel("best Δ val_bpb so far (noise-free), mean over seeds")
axes[0][-1].legend(fontsize=7, loc="upper right")
fig.tight_layout()
fig.savefig(out_path, dpi=110)
