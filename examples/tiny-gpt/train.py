"""
tiny-gpt: a byte-level GPT trained on the CPU for a fixed wall-clock budget, in the shape of
karpathy/autoresearch. Change the constants below; the budget and the evaluation stay fixed.
Prints a summary block whose val_bpb (validation bits per byte, lower is better) is the metric.
"""
import math
import os
import resource
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # tiny matrices: threads cost more than they give
import torch
import torch.nn as nn
import torch.nn.functional as F

# --- hyperparameters -------------------------------------------------------------------------
DEPTH = 2                 # transformer layers
N_EMBD = 64               # model width
N_HEAD = 4                # attention heads (must divide N_EMBD)
SEQ_LEN = 64              # context length in bytes
BATCH_SIZE = 2**7         # sequences per optimizer step
LEARNING_RATE = 1e-3      # peak AdamW learning rate
WEIGHT_DECAY = 0.1        # AdamW weight decay
WARMUP_STEPS = 10         # linear warmup, then cosine decay over the budget
ADAM_BETAS = (0.9, 0.95)  # AdamW betas
ACTIVATION = "gelu"       # MLP activation: "gelu", "relu" or "silu"
TIE_WEIGHTS = True        # share the embedding and output matrices
DROPOUT = 0.0             # dropout in attention and MLP
TIME_BUDGET = 20          # seconds of training (wall clock), fixed
SEED = 1337               # fixed for comparability
# ---------------------------------------------------------------------------------------------

eval_bytes = 2**15        # fixed validation slice (lowercase: not a search parameter, the evaluation is fixed)

torch.manual_seed(SEED)
torch.set_num_threads(1)  # measured: a 2nd thread gives no more steps on 2 cores, and 1 keeps runs steady under load
assert N_EMBD % N_HEAD == 0, f"N_HEAD={N_HEAD} must divide N_EMBD={N_EMBD}"
assert ACTIVATION in ("gelu", "relu", "silu"), f"unknown ACTIVATION {ACTIVATION!r}"

here = os.path.dirname(os.path.abspath(__file__))
data = torch.tensor(list(open(os.path.join(here, "data", "corpus.txt"), "rb").read()), dtype=torch.long)
split = int(len(data) * 0.9)
train_data, val_data = data[:split], data[split:split + eval_bytes]


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(N_EMBD), nn.LayerNorm(N_EMBD)
        self.qkv = nn.Linear(N_EMBD, 3 * N_EMBD)
        self.proj = nn.Linear(N_EMBD, N_EMBD)
        self.fc, self.out = nn.Linear(N_EMBD, 4 * N_EMBD), nn.Linear(4 * N_EMBD, N_EMBD)
        self.act = {"gelu": F.gelu, "relu": F.relu, "silu": F.silu}[ACTIVATION]
        self.drop = nn.Dropout(DROPOUT)
        self.register_buffer("mask", torch.ones(SEQ_LEN, SEQ_LEN, dtype=torch.bool).triu(1), persistent=False)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, N_HEAD, C // N_HEAD).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(C // N_HEAD)
        att = self.drop(att.masked_fill(self.mask[:T, :T], float("-inf")).softmax(dim=-1))
        y = att @ v
        x = x + self.drop(self.proj(y.transpose(1, 2).reshape(B, T, C)))
        return x + self.drop(self.out(self.act(self.fc(self.ln2(x)))))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(256, N_EMBD)
        self.pos = nn.Embedding(SEQ_LEN, N_EMBD)
        self.blocks = nn.Sequential(*[Block() for _ in range(DEPTH)])
        self.ln = nn.LayerNorm(N_EMBD)
        self.head = nn.Linear(N_EMBD, 256, bias=False)
        if TIE_WEIGHTS:
            self.head.weight = self.tok.weight
        for m in self.modules():  # GPT-2 style init; PyTorch's defaults make tied logits huge
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)

    def forward(self, idx, targets):
        x = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
        logits = self.head(self.ln(self.blocks(x)))
        return F.cross_entropy(logits.view(-1, 256), targets.reshape(-1))


def batch():
    ix = torch.randint(len(train_data) - SEQ_LEN - 1, (BATCH_SIZE,))
    x = torch.stack([train_data[i:i + SEQ_LEN] for i in ix])
    y = torch.stack([train_data[i + 1:i + SEQ_LEN + 1] for i in ix])
    return x, y


@torch.no_grad()
def evaluate(model):
    model.eval()
    n = (len(val_data) - 1) // SEQ_LEN
    x = val_data[:n * SEQ_LEN].view(n, SEQ_LEN)
    y = val_data[1:n * SEQ_LEN + 1].view(n, SEQ_LEN)
    loss = sum(model(x[i:i + 64], y[i:i + 64]).item() * len(x[i:i + 64]) for i in range(0, n, 64)) / n
    return loss / math.log(2)  # nats per byte -> bits per byte


t_start = time.time()
model = GPT()
decay = [p for p in model.parameters() if p.dim() >= 2]
rest = [p for p in model.parameters() if p.dim() < 2]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": WEIGHT_DECAY}, {"params": rest, "weight_decay": 0.0}],
                        lr=LEARNING_RATE, betas=ADAM_BETAS)

# The schedule runs on the fraction of the budget spent, since the number of steps isn't known.
step, training_seconds, next_log = 0, 0.0, 0.0
while training_seconds < TIME_BUDGET:
    t0 = time.time()
    progress = training_seconds / TIME_BUDGET
    lr = LEARNING_RATE * min(1.0, (step + 1) / max(1, WARMUP_STEPS)) * 0.5 * (1 + math.cos(math.pi * progress))
    for g in opt.param_groups:
        g["lr"] = lr
    x, y = batch()
    loss = model(x, y)
    if not math.isfinite(loss.item()):
        raise SystemExit(f"loss diverged at step {step}")
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    training_seconds += time.time() - t0
    step += 1
    if training_seconds >= next_log:  # a progress line every ~2 s of training, for whoever watches the log
        next_log += 2.0
        print(f"step {step:5d} | loss {loss.item():.4f} | lr {lr:.2e} | {training_seconds:5.1f}s", flush=True)

val_bpb = evaluate(model)
print("---")
print(f"val_bpb:          {val_bpb:.6f}")
print(f"training_seconds: {training_seconds:.1f}")
print(f"total_seconds:    {time.time() - t_start:.1f}")
print(f"peak_vram_mb:     {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")
print(f"num_steps:        {step}")
print(f"num_params_M:     {sum(p.numel() for p in model.parameters()) / 1e6:.2f}")
print(f"depth:            {DEPTH}")
