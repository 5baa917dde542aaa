#!/usr/bin/env python3
"""One item of the sweep: trains the toy model with the item's hyperparameters and writes its
result to $RESULTS/<run id>/<item id>.json (a folder, or an S3 prefix), where the aggregation
step finds it.

fanout passes the hyperparameters as arguments ({lr}, {depth} placeholders in the input's
command) and each kwarg as an environment variable; FANOUT_RUN_ID and FANOUT_ITEM_ID name the
run and the item. `import sweep` needs PYTHONPATH=src, which the input declares: the host's
environment does not reach a job, on the local cloud as in the container.
"""

import argparse
import os
import sys

from sweep import results
from sweep.model import Diverged, train


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lr", type=float, required=True)
    parser.add_argument("--depth", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    try:
        result = train(args.lr, args.depth, args.seed)
    except Diverged as error:
        print(f"training failed: {error}", file=sys.stderr)
        return 3

    item_id = os.environ["FANOUT_ITEM_ID"]
    where = results.write(os.environ.get("RESULTS", "results"), os.environ["FANOUT_RUN_ID"], item_id, result)
    print(f"item {item_id}: lr={args.lr} depth={args.depth} loss={result['loss']:.6f} -> {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
