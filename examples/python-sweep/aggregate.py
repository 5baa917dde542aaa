#!/usr/bin/env python3
"""The sweep's aggregation step: runs once after every item, reads the results the items
wrote to $RESULTS/<run id>/ and writes the best one to $RESULTS/<run id>/best.json. Items
that failed (the diverged ones, within the run's tolerated failures) left no result."""

import json
import os
import sys
from pathlib import Path


def main() -> int:
    run_id = os.environ["FANOUT_RUN_ID"]
    folder = Path(os.environ.get("RESULTS", "results")) / run_id
    results = [
        json.loads(path.read_text())
        for path in sorted(folder.glob("*.json"))
        if path.name != "best.json"
    ]
    if not results:
        print(f"no results in {folder}", file=sys.stderr)
        return 1
    best = min(results, key=lambda result: result["loss"])
    summary = {"runId": run_id, "items": len(results), "best": best}
    (folder / "best.json").write_text(json.dumps(summary) + "\n")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
