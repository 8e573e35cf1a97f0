"""The drone/CCTV analysis service's Locust load test, pointed at Argus.

The same users as the original's ``api/locustfile.py`` (its last version, which the doc-era one
grew into): one ``BasicUser`` that waits 5 s between requests and POSTs the original's JSON body,
a random image from the dataset each time, to ``/v1/analyze`` (tag ``sync``) and to
``/v1/analyze_async`` (tag ``async``). Argus serves both on the original's paths and shapes.

Runs with Debian's ``python3-locust`` (2.12); see ``run-locust.sh`` and ``report.sh`` beside it.

``LOCUST_DATASET_DIR``: the images (default ``../shared/datasets/coco128/images`` beside the
Argus checkout, the original used ``../datasets``); ``image_id`` is each image's path under it.
"""

import base64
import os
import random
import uuid
from datetime import datetime, timezone
from pathlib import Path

from locust import HttpUser, between, events, tag, task

REPO_ROOT = Path(__file__).resolve().parents[2]
DATASET_DIR = Path(os.getenv("LOCUST_DATASET_DIR", REPO_ROOT.parent / "shared/datasets/coco128/images")).resolve()
IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".webp"}
IMAGE_CACHE: list[tuple[str, str]] = []


def discover_images(dataset_dir: Path) -> list[Path]:
    """Every image under the dataset directory, in a stable order."""
    if not dataset_dir.exists():
        raise FileNotFoundError(f"dataset dir not found: {dataset_dir}")
    paths = sorted(p for p in dataset_dir.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTS)
    if not paths:
        raise FileNotFoundError(f"No images found under: {dataset_dir} (exts={sorted(IMAGE_EXTS)})")
    return paths


def build_cache(dataset_dir: Path) -> list[tuple[str, str]]:
    """(path relative to the dataset, base64) for each image: encoded once, before the users start."""
    return [
        (str(p.relative_to(dataset_dir)).replace("\\", "/"), base64.b64encode(p.read_bytes()).decode("ascii"))
        for p in discover_images(dataset_dir)
    ]


@events.init.add_listener
def on_locust_init(environment, **kwargs):
    global IMAGE_CACHE
    IMAGE_CACHE = build_cache(DATASET_DIR)
    print("[locust] dataset initialized")
    print(f"[locust] dataset_dir     = {DATASET_DIR}")
    print(f"[locust] cached_images   = {len(IMAGE_CACHE)}")


def payload() -> dict:
    """The original's AnalyzeRequest: a fresh request id, a random image, the time in UTC."""
    image_id, image_b64 = random.choice(IMAGE_CACHE)
    return {
        "request_id": f"locust-{uuid.uuid4().hex}",
        "image_id": image_id,
        "image_base64": image_b64,
        "requested_at": datetime.now(timezone.utc).isoformat(),
    }


def check(response) -> None:
    """A 200 is not enough: the original answered failures as 200 with ok false."""
    try:
        ok = response.json().get("ok")
    except ValueError:
        ok = None
    if response.status_code == 200 and ok is not True:
        response.failure(f"ok is {ok!r}: {response.text[:200]}")


class BasicUser(HttpUser):
    host = os.getenv("LOCUST_HOST", "http://127.0.0.1:8000")
    wait_time = between(5, 5)  # each user's request interval, as the original

    @tag("sync")
    @task
    def analyze_test(self):
        with self.client.post("/v1/analyze", json=payload(), name="POST /v1/analyze", catch_response=True) as response:
            check(response)

    @tag("async")
    @task
    def analyze_async_test(self):
        with self.client.post("/v1/analyze_async", json=payload(), name="POST /v1/analyze_async", catch_response=True) as response:
            check(response)
