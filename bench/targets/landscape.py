"""
Closed-form stand-ins for karpathy/autoresearch's train.py (bench/searchQuality.ts): the same
hyperparameter block, the same summary block, instant. val_bpb is a sum of terms in log2 offsets
of the constants, shaped per target (see TARGETS); crashes print what a real run prints (CUDA OOM,
an assertion, a NaN loss) and exit 1. `clean(name, params)` is the noise-free value, which the
benchmark scores the chosen configuration by.
"""
import math
import os
import random
import sys
import time

MAX_SEQ_LEN = 2048
DEFAULTS = dict(
    ASPECT_RATIO=64, HEAD_DIM=128, WINDOW_PATTERN="SSSL", TOTAL_BATCH_SIZE=2**19, EMBEDDING_LR=0.6,
    UNEMBEDDING_LR=0.004, MATRIX_LR=0.04, SCALAR_LR=0.5, WEIGHT_DECAY=0.2, ADAM_BETAS=(0.8, 0.95),
    WARMUP_RATIO=0.0, WARMDOWN_RATIO=0.5, FINAL_LR_FRAC=0.0, DEPTH=8, DEVICE_BATCH_SIZE=128,
)
LRS = ["EMBEDDING_LR", "UNEMBEDDING_LR", "MATRIX_LR", "SCALAR_LR"]


class Crash(Exception):
    pass


def lg(x, ref):
    return math.log2(x / ref) if x > 0 and ref > 0 else -30.0


def checks(p, divisible, memory_gb=80.0):
    """What a real run would die of, in the order it would die of it. `divisible`: the total batch
    must be a whole number of device batches (karpathy's assertion); otherwise the script would
    round its accumulation steps."""
    model_dim = p["DEPTH"] * p["ASPECT_RATIO"]
    if p["HEAD_DIM"] <= 0 or model_dim % p["HEAD_DIM"] != 0:
        raise Crash(f"AssertionError: model_dim {model_dim} is not a multiple of HEAD_DIM {p['HEAD_DIM']}")
    tokens = p["DEVICE_BATCH_SIZE"] * MAX_SEQ_LEN
    if divisible and p["TOTAL_BATCH_SIZE"] % tokens != 0:
        raise Crash(f"AssertionError: TOTAL_BATCH_SIZE {p['TOTAL_BATCH_SIZE']} is not a multiple of DEVICE_BATCH_SIZE * MAX_SEQ_LEN = {tokens}")
    mem = 45.0 * (p["DEVICE_BATCH_SIZE"] / 128) * (p["DEPTH"] / 8) * (p["ASPECT_RATIO"] / 64) ** 1.5
    if mem > memory_gb:
        raise Crash(f"torch.OutOfMemoryError: CUDA out of memory. Tried to allocate {mem - memory_gb + 2:.2f} GiB (GPU 0; {memory_gb:.0f} GiB total capacity)")
    b1, b2 = p["ADAM_BETAS"]
    if not (0 <= b1 < 1 and 0 <= b2 < 1) or not (0 <= p["WARMUP_RATIO"] + p["WARMDOWN_RATIO"] <= 1) or not (0 <= p["FINAL_LR_FRAC"] <= 1):
        raise Crash("AssertionError: schedule or betas out of range")
    return mem


def base_terms(p, lr_shift=0.0, opt=None, batch_weight=0.0075, lr_weight=1.0, depth_weight=0.004):
    """The smooth part every target shares; `opt` moves optima (log2 offsets from the defaults)."""
    o = dict(batch=0.0, MATRIX_LR=0.0, EMBEDDING_LR=0.0, UNEMBEDDING_LR=0.0, SCALAR_LR=0.0, wd=0.0, depth=0.0)
    o.update(opt or {})
    lb = lg(p["TOTAL_BATCH_SIZE"], 2**19)
    v = 0.96
    v += batch_weight * (lb - o["batch"]) ** 2
    weights = dict(MATRIX_LR=0.006, EMBEDDING_LR=0.002, UNEMBEDDING_LR=0.003, SCALAR_LR=0.001)
    for name in LRS:
        v += lr_weight * weights[name] * (lg(p[name], DEFAULTS[name]) - o[name] - lr_shift * lb) ** 2
    v += 0.002 * (lg(max(p["WEIGHT_DECAY"], 1e-4), 0.2) - o["wd"]) ** 2 / 1.0
    v += 0.003 * p["WINDOW_PATTERN"].count("L")
    b1, b2 = p["ADAM_BETAS"]
    v += 0.002 * lg(1 - b1, 0.2) ** 2 + 0.003 * (lg(1 - b2, 0.05) + 1) ** 2
    v += 0.004 * (p["WARMUP_RATIO"] * 10) ** 2 / (1 + p["WARMUP_RATIO"] * 10)
    v += 0.01 * (p["WARMDOWN_RATIO"] - 0.6) ** 2 + 0.004 * p["FINAL_LR_FRAC"]
    v += depth_weight * (lg(p["DEPTH"], 8) - o["depth"]) ** 2 + 0.004 * lg(p["ASPECT_RATIO"], 64) ** 2 + 0.002 * lg(p["HEAD_DIM"], 128) ** 2
    # A smaller device batch only costs throughput.
    v += 0.0015 * max(0.0, -lg(p["DEVICE_BATCH_SIZE"], 128))
    return v


def smooth(p):
    return base_terms(p, opt=dict(batch=-2.0))


def crashy(p):
    # The optimum (batch 2**16, MATRIX_LR ×2) lies past crashes: a smaller batch needs a smaller
    # device batch (the assertion), a higher matrix LR diverges unless the batch is smaller too.
    lb = lg(p["TOTAL_BATCH_SIZE"], 2**19)
    if lg(p["MATRIX_LR"], 0.04) > 0.5 + max(0.0, -lb) * 0.5:
        raise Crash("loss is NaN at step 212: training diverged")
    return base_terms(p, opt=dict(batch=-3.0, MATRIX_LR=1.0))


def rugged(p):
    v = base_terms(p, opt=dict(batch=-2.0, MATRIX_LR=-1.0, wd=-2.0))
    for name, amp, phase in [("MATRIX_LR", 0.006, 0.3), ("EMBEDDING_LR", 0.004, 1.1), ("UNEMBEDDING_LR", 0.005, 2.0), ("WEIGHT_DECAY", 0.004, 0.7), ("TOTAL_BATCH_SIZE", 0.005, 1.7)]:
        ref = DEFAULTS[name]
        v += amp * math.cos(math.pi * lg(max(p[name], 1e-6), ref) * 1.5 + phase)
    return v


def joint(p):
    # Learning rates follow the batch by the square-root rule, and the better, deeper model only
    # fits with a smaller device batch (OOM otherwise).
    return base_terms(p, lr_shift=0.5, opt=dict(batch=-2.0, depth=1.0), batch_weight=0.004, lr_weight=6.0, depth_weight=0.008)


TARGETS = {
    "smooth": dict(f=smooth, noise=0.0, divisible=False),
    "noisy": dict(f=smooth, noise=0.004, divisible=False),
    "crash": dict(f=crashy, noise=0.0, divisible=True),
    "rugged": dict(f=rugged, noise=0.0, divisible=False),
    "joint": dict(f=joint, noise=0.0, divisible=True),
}


def clean(name, params):
    """The noise-free val_bpb, or None for a crash."""
    p = {**DEFAULTS, **params}
    p["ADAM_BETAS"] = tuple(p["ADAM_BETAS"])
    try:
        checks(p, TARGETS[name]["divisible"])
        return TARGETS[name]["f"](p)
    except Crash:
        return None


def run(name, scope):
    """The training script's end: the summary block, or a crash."""
    p = {k: scope[k] for k in DEFAULTS}
    t0 = time.time()
    try:
        mem = checks(p, TARGETS[name]["divisible"])
        val = TARGETS[name]["f"](p)
    except Crash as e:
        print(f"step 00000 | loss: 10.8 | dt: 120ms", flush=True)
        print(f"Traceback (most recent call last):\n  File \"train.py\", line 512, in <module>\n{e}", file=sys.stderr)
        sys.exit(1)
    noise = TARGETS[name]["noise"]
    if noise:
        val += random.Random(os.urandom(8)).gauss(0.0, noise)
    steps = int(953 * 2**19 / p["TOTAL_BATCH_SIZE"] * (8 / p["DEPTH"]) * (64 / p["ASPECT_RATIO"]))
    print("---")
    print(f"val_bpb:          {val:.6f}")
    print(f"training_seconds: {scope.get('TIME_BUDGET', 300):.1f}")
    print(f"total_seconds:    {time.time() - t0 + 25.8:.1f}")
    print(f"peak_vram_mb:     {mem * 1024:.1f}")
    print(f"mfu_percent:      {39.8 * 989.5e12 / scope.get('H100_BF16_PEAK_FLOPS', 989.5e12):.2f}")
    print(f"total_tokens_M:   {steps * p['TOTAL_BATCH_SIZE'] / 1e6:.1f}")
    print(f"num_steps:        {steps}")
    print(f"depth:            {p['DEPTH']}")
