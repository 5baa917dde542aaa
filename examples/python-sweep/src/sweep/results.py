"""Where the sweep keeps its results: a folder, when every job runs on this machine and shares
its disk (`fanout run`), or an S3 prefix, when jobs run in containers that share nothing
(`fanout run --in-image`, and AWS Batch). RESULTS in the input's environment says which."""

import json
import os
from pathlib import Path


def _s3_client():
    # boto3 is in the image (the Dockerfile installs it); a run on this machine writes to a folder.
    import boto3
    from botocore.config import Config

    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3")
    return boto3.client(
        "s3",
        region_name=os.environ.get("AWS_REGION"),
        # The local cloud's S3 listens on 127.0.0.1, which only path-style addressing reaches.
        endpoint_url=endpoint or None,
        config=Config(s3={"addressing_style": "path"}) if endpoint else None,
    )


def _bucket_and_prefix(location: str, run_id: str) -> tuple[str, str]:
    bucket, _, prefix = location[len("s3://"):].partition("/")
    return bucket, f"{prefix.strip('/')}/{run_id}/".lstrip("/")


def write(location: str, run_id: str, name: str, data: dict) -> str:
    body = json.dumps(data) + "\n"
    if location.startswith("s3://"):
        bucket, prefix = _bucket_and_prefix(location, run_id)
        _s3_client().put_object(Bucket=bucket, Key=f"{prefix}{name}.json", Body=body.encode())
        return f"s3://{bucket}/{prefix}{name}.json"
    folder = Path(location) / run_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(body)
    return str(folder / f"{name}.json")


def read_all(location: str, run_id: str, skip: str) -> list:
    if location.startswith("s3://"):
        bucket, prefix = _bucket_and_prefix(location, run_id)
        client = _s3_client()
        keys = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys += [entry["Key"] for entry in page.get("Contents", [])]
        return [
            json.loads(client.get_object(Bucket=bucket, Key=key)["Body"].read())
            for key in sorted(keys)
            if key.endswith(".json") and not key.endswith(f"/{skip}.json")
        ]
    folder = Path(location) / run_id
    return [
        json.loads(path.read_text())
        for path in sorted(folder.glob("*.json"))
        if path.name != f"{skip}.json"
    ]
