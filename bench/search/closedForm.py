"""
The classic peers on the closed-form targets (bench/targets/landscape.py), in process: random
search, Optuna TPE, Optuna CMA-ES and a random local search control, over the space the project's
model searches (bench/searchSuite.ts writes it: every dimension's values, as searchDims builds it).
Trial 0 is the target's defaults. Prints one JSON line per trial: params, metric (what the method
saw, noise included), clean (the noise-free value the benchmark scores by).

  /usr/bin/python3 bench/search/closedForm.py --target smooth --space S.json --method tpe --seed 1 --trials 30
"""
import argparse
import json
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "targets"))
import landscape  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--target", required=True, choices=sorted(landscape.TARGETS))
p.add_argument("--space", required=True)
p.add_argument("--method", required=True, choices=["random", "tpe", "cmaes", "rls"])
p.add_argument("--seed", type=int, required=True)
p.add_argument("--trials", type=int, required=True, help="trials after the baseline")
p.add_argument("--startup", type=int, default=6, help="TPE: trials (baseline included) before it models")
args = p.parse_args()

dims = json.load(open(args.space))
noise_rng = random.Random(args.seed * 1000003 + 17)
spec = landscape.TARGETS[args.target]


def config(x):
    out = {}
    for d, i in zip(dims, x):
        v = d["values"][i]
        if d.get("element") is None:
            out[d["name"]] = v
        else:
            t = list(out.get(d["name"], landscape.DEFAULTS[d["name"]]))
            t[d["element"]] = v
            out[d["name"]] = t
    return out


def start_index(d):
    v = landscape.DEFAULTS[d["name"]]
    if d.get("element") is not None:
        v = v[d["element"]]
    return d["values"].index(v)


def evaluate(x):
    params = config(x)
    clean = landscape.clean(args.target, params)
    metric = None if clean is None else clean + (noise_rng.gauss(0.0, spec["noise"]) if spec["noise"] else 0.0)
    return params, metric, clean


lines = []


def record(x):
    params, metric, clean = evaluate(x)
    lines.append({"trial": len(lines), "params": params, "metric": metric, "clean": clean})
    return metric


start = [start_index(d) for d in dims]

if args.method == "rls":
    # The control: change one random dimension to a neighbouring value, keep if better.
    r = random.Random(args.seed)
    best_x, best = start, record(start)
    for _ in range(args.trials):
        x = list(best_x)
        i = r.randrange(len(dims))
        x[i] = min(len(dims[i]["values"]) - 1, max(0, x[i] + r.choice([-1, 1])))
        m = record(x)
        if m is not None and (best is None or m < best):
            best_x, best = x, m
else:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    names = [f"d{i}" for i in range(len(dims))]

    def suggest(trial):
        # Ordered values by their index (the model sees the order); unordered ones as categories.
        return [trial.suggest_int(n, 0, len(d["values"]) - 1) if d["ordered"] else trial.suggest_categorical(n, list(range(len(d["values"])))) for n, d in zip(names, dims)]

    def objective(trial):
        m = record(suggest(trial))
        return float("nan") if m is None else m

    if args.method == "random":
        sampler = optuna.samplers.RandomSampler(seed=args.seed)
    elif args.method == "tpe":
        sampler = optuna.samplers.TPESampler(seed=args.seed, n_startup_trials=args.startup)
    else:
        sampler = optuna.samplers.CmaEsSampler(seed=args.seed, x0={n: s for n, s in zip(names, start)}, sigma0=1.5, n_startup_trials=1, warn_independent_sampling=False)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    study.enqueue_trial({n: s for n, s in zip(names, start)})
    study.optimize(objective, n_trials=args.trials + 1)

for line in lines:
    print(json.dumps(line))
