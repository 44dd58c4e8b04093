"""
The closed-form targets of the search benchmark, in the shape of karpathy/autoresearch's train.py:
the hyperparameter block below, the summary block at the end (see landscape.py). Instant. Which
landscape it is (smooth, noisy, crash, rugged, joint) is in target.txt beside it, written by
bench/searchSuite.ts, so that the five targets share one file and no searchable constant names it.
"""
import os

from landscape import run

# ---------------------------------------------------------------------------
# Hyperparameters (edit these directly, no CLI flags needed)
# ---------------------------------------------------------------------------

# Model architecture
ASPECT_RATIO = 64       # model_dim = depth * ASPECT_RATIO
HEAD_DIM = 128          # target head dimension for attention
WINDOW_PATTERN = "SSSL" # sliding window pattern: L=full, S=half context

# Optimization
TOTAL_BATCH_SIZE = 2**19 # ~524K tokens per optimizer step
EMBEDDING_LR = 0.6      # learning rate for token embeddings (Adam)
UNEMBEDDING_LR = 0.004  # learning rate for lm_head (Adam)
MATRIX_LR = 0.04        # learning rate for matrix parameters (Muon)
SCALAR_LR = 0.5         # learning rate for per-layer scalars (Adam)
WEIGHT_DECAY = 0.2      # cautious weight decay for Muon
ADAM_BETAS = (0.8, 0.95) # Adam beta1, beta2
WARMUP_RATIO = 0.0      # fraction of time budget for LR warmup
WARMDOWN_RATIO = 0.5    # fraction of time budget for LR warmdown
FINAL_LR_FRAC = 0.0     # final LR as fraction of initial

# Model size
DEPTH = 8               # number of transformer layers
DEVICE_BATCH_SIZE = 128 # per-device batch size (reduce if OOM)

H100_BF16_PEAK_FLOPS = 989.5e12
TIME_BUDGET = 300

if __name__ == "__main__":
    run(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "target.txt")).read().strip(), globals())
