"""Noise-free values of configurations: reads JSON lines {target, params}, prints one value (or null) a line."""
import json
import sys

import landscape

for line in sys.stdin:
    q = json.loads(line)
    print(json.dumps(landscape.clean(q["target"], q["params"])), flush=True)
