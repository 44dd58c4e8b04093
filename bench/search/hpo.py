"""
The classic peers of the search-quality benchmark: random search and Optuna's TPE, driving
tiny-gpt's train.py by rewriting its constants, over bench/searchSpace.json. Trial 0 is the
unchanged train.py (the same start every method gets). Prints one JSON line per trial.

  /usr/bin/python3 bench/search/hpo.py --repo DIR --sampler random|tpe --seed S --trials N
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

import optuna

p = argparse.ArgumentParser()
p.add_argument("--repo", required=True, help="a copy of examples/tiny-gpt (TIME_BUDGET already set)")
p.add_argument("--space", required=True)
p.add_argument("--sampler", choices=["random", "tpe"], required=True)
p.add_argument("--seed", type=int, required=True)
p.add_argument("--trials", type=int, required=True, help="trials after the baseline")
p.add_argument("--startup", type=int, default=5, help="TPE: trials (baseline included) before it models")
p.add_argument("--timeout", type=float, default=120)
args = p.parse_args()

space = json.load(open(args.space))["parameters"]
train_path = os.path.join(args.repo, "train.py")
original = open(train_path).read()


def current(name):
    m = re.search(rf"^{name}\s*=\s*([^#\n]+?)\s*(#.*)?$", original, re.M)
    return eval(m.group(1))  # the file's own literal, e.g. 2**7


start = {name: current(name) for name in space}
for name, values in space.items():
    assert start[name] in values, f"{name}={start[name]} is not in the search space"


def rewrite(config):
    text = original
    for name, value in config.items():
        text = re.sub(rf"^({name}\s*=\s*)([^#\n]+?)(\s*#.*)?$", lambda m: f"{m.group(1)}{value!r}{m.group(3) or ''}", text, count=1, flags=re.M)
    open(train_path, "w").write(text)


def train(config):
    rewrite(config)
    t0 = time.time()
    try:
        out = subprocess.run([sys.executable, "train.py"], cwd=args.repo, capture_output=True, text=True, timeout=args.timeout)
        m = re.search(r"^val_bpb:\s*([0-9.eE+-]+)", out.stdout, re.M)
        metric = float(m.group(1)) if out.returncode == 0 and m else None
    except subprocess.TimeoutExpired:
        metric = None
    return metric, time.time() - t0


# Ordered values are searched by their index (TPE then models the order); unordered ones as categories.
def ordered(values):
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def suggest(trial):
    config = {}
    for name, values in space.items():
        if ordered(values):
            config[name] = values[trial.suggest_int(name, 0, len(values) - 1)]
        else:
            config[name] = values[trial.suggest_categorical(name, list(range(len(values))))]
    return config


def objective(trial):
    config = suggest(trial)
    metric, seconds = train(config)
    print(json.dumps({"trial": trial.number, "params": config, "metric": metric, "seconds": round(seconds, 1)}), flush=True)
    return float("nan") if metric is None else metric


optuna.logging.set_verbosity(optuna.logging.WARNING)
sampler = optuna.samplers.RandomSampler(seed=args.seed) if args.sampler == "random" else optuna.samplers.TPESampler(seed=args.seed, n_startup_trials=args.startup)
study = optuna.create_study(direction="minimize", sampler=sampler)
study.enqueue_trial({name: values.index(start[name]) for name, values in space.items()})
study.optimize(objective, n_trials=args.trials + 1)
open(train_path, "w").write(original)
