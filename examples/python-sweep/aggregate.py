#!/usr/bin/env python3
"""The sweep's aggregation step: runs once after every item, reads the results the items
wrote to $RESULTS/<run id>/ (a folder, or an S3 prefix) and writes the best one beside them as
best.json. Items that failed (the diverged ones, within the run's tolerated failures) left no
result."""

import json
import os
import sys

from sweep import results


def main() -> int:
    run_id = os.environ["FANOUT_RUN_ID"]
    location = os.environ.get("RESULTS", "results")
    found = results.read_all(location, run_id, skip="best")
    if not found:
        print(f"no results in {location}/{run_id}", file=sys.stderr)
        return 1
    best = min(found, key=lambda result: result["loss"])
    summary = {"runId": run_id, "items": len(found), "best": best}
    where = results.write(location, run_id, "best", summary)
    print(json.dumps(summary), "->", where)
    return 0


if __name__ == "__main__":
    sys.exit(main())
