"""
Best-so-far curves of the search-quality benchmark, one line per method (mean over seeds, band
± 1 sd): the best val_bpb so far, and its difference from the run's own baseline.

  /usr/bin/python3 bench/search/plot.py bench/results/search-runs.jsonl out.png TIME_BUDGET
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

runs_path, out_path, budget = sys.argv[1], sys.argv[2], float(sys.argv[3])
labels = {
    "random": "random search",
    "tpe": "Optuna TPE",
    "heuristic": "group A: heuristic (level 1)",
    "heuristic-sequential": "group A, --no-overlap",
    "levels": "group C: levels 1+1.5+2, offline",
}
runs = [json.loads(l) for l in open(runs_path) if l.strip()]
runs = [r for r in runs if r["timeBudget"] == budget]


def best_so_far(trials):
    best, out = None, []
    for t in trials:
        m = t["metric"]
        if m is not None and (best is None or m < best):
            best = m
        out.append(np.nan if best is None else best)
    return out


fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
for method, label in labels.items():
    mine = [r for r in runs if r["method"] == method]
    if not mine:
        continue
    n = min(len(r["trials"]) for r in mine)
    curves = np.array([best_so_far(r["trials"])[:n] for r in mine])
    deltas = curves - curves[:, :1]
    x = np.arange(n)
    for ax, ys in ((ax1, curves), (ax2, deltas)):
        m, s = np.nanmean(ys, axis=0), np.nanstd(ys, axis=0, ddof=1) if len(mine) > 1 else np.zeros(n)
        ax.plot(x, m, marker="o", markersize=3, label=f"{label} (n={len(mine)})")
        ax.fill_between(x, m - s, m + s, alpha=0.15)
ax1.set(title="best val_bpb so far (mean ± sd over seeds)", xlabel="trial (0 = baseline)", ylabel="val_bpb (lower is better)")
ax2.set(title="best so far minus the run's own baseline", xlabel="trial (0 = baseline)", ylabel="Δ val_bpb")
ax2.axhline(0, color="grey", linewidth=0.5)
ax1.legend(fontsize=8)
fig.suptitle(f"tiny-gpt, TIME_BUDGET = {budget:g} s, 2 CPU cores shared with other work")
fig.tight_layout()
fig.savefig(out_path, dpi=110)
