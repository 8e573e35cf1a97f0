#!/usr/bin/env python3
"""A DeepStack client that talks to the server exactly as the Python library behind Home
Assistant's DeepStack integrations does (robmarkcole/deepstack-python 0.9, deepstack/core.py).

Written for Argus's tests, not copied: that library's licence (its LICENSE file says GPL-3.0, its
setup.py Apache-2.0) does not let it be vendored here, and the test machines cannot install it.
What it does on the wire, which is what this reproduces (docs/deepstack.md quotes the lines):

- every image call is ``requests.post(url, files={"image": image_bytes}, data=data, timeout=10)``
  where ``data`` holds ``api_key`` and ``min_confidence`` (0.45 unless configured) and, to
  register, ``userid``;
- a 200 answer is read as JSON; 404 raises "Bad url supplied"; any other status raises
  "Error from Deepstack request, status code: N";
- detect and recognize return ``response["predictions"]``; register returns
  ``response["message"]`` when ``success`` is True and raises with ``response["error"]`` when it
  is False; the face list posts ``data={"api_key": key}`` (a url-encoded form, no file) and
  returns ``response["faces"]``; scene drops ``success`` and returns the rest.

Usage: deepstack_client.py BASE_URL API_KEY IMAGES_DIR; prints one JSON object of what each call
returned (or the exception it raised) for the test to check.
"""
import json
import sys

import requests

DEFAULT_TIMEOUT = 10
DEFAULT_MIN_CONFIDENCE = 0.45


class DeepstackException(Exception):
    pass


def post_image(url, image_bytes, timeout, data):
    try:
        return requests.post(url, files={"image": image_bytes}, data=data, timeout=timeout)
    except requests.exceptions.Timeout:
        raise DeepstackException(f"Timeout connecting to Deepstack, the current timeout is {timeout} seconds")
    except requests.exceptions.ConnectionError as exc:
        raise DeepstackException(f"Deepstack connection error: {exc}")


def process_image(url, image_bytes, api_key, min_confidence, timeout, data=None):
    data = dict(data or {})
    data["api_key"] = api_key
    data["min_confidence"] = min_confidence
    response = post_image(url, image_bytes, timeout, data)
    if response.status_code == 200:
        return response.json()
    if response.status_code == 404:
        raise DeepstackException(f"Bad url supplied, url {url} raised error 404")
    raise DeepstackException(f"Error from Deepstack request, status code: {response.status_code}")


class Client:
    def __init__(self, base, api_key, min_confidence=DEFAULT_MIN_CONFIDENCE, timeout=DEFAULT_TIMEOUT):
        self.base = base.rstrip("/") + "/v1/vision"
        self.api_key = api_key
        self.min_confidence = min_confidence
        self.timeout = timeout

    def _image(self, path, image_bytes, data=None):
        return process_image(self.base + path, image_bytes, self.api_key, self.min_confidence, self.timeout, data)

    def detect(self, image_bytes, custom_model=""):
        return self._image(f"/custom/{custom_model}" if custom_model else "/detection", image_bytes)["predictions"]

    def detect_faces(self, image_bytes):
        return self._image("/face", image_bytes)["predictions"]

    def register(self, name, image_bytes):
        response = self._image("/face/register", image_bytes, {"userid": name})
        if response["success"] is True:
            return response["message"]
        raise DeepstackException(f"Deepstack raised an error registering a face: {response['error']}")

    def recognize(self, image_bytes):
        return self._image("/face/recognize", image_bytes)["predictions"]

    def get_registered_faces(self):
        response = requests.post(self.base + "/face/list", timeout=self.timeout, data={"api_key": self.api_key})
        return response.json()["faces"]

    def scene(self, image_bytes):
        response = self._image("/scene", image_bytes)
        del response["success"]
        return response


def attempt(call):
    try:
        return {"ok": call()}
    except DeepstackException as exc:
        return {"raised": str(exc)}


def main():
    base, api_key, images = sys.argv[1], sys.argv[2], sys.argv[3]
    read = lambda name: open(f"{images}/{name}", "rb").read()
    client = Client(base, api_key)
    out = {
        "detect": attempt(lambda: client.detect(read("bus.jpg"))),
        "custom": attempt(lambda: client.detect(read("bus.jpg"), "yolo11n")),
        "missing_model": attempt(lambda: client.detect(read("bus.jpg"), "no-such-model")),
        "faces": attempt(lambda: client.detect_faces(read("zidane.jpg"))),
        "register": attempt(lambda: client.register("Zinedine", read("zidane.jpg"))),
        "register_again": attempt(lambda: client.register("Zinedine", read("zidane.jpg"))),
        "register_no_face": attempt(lambda: client.register("Nobody", read("misc/coffee.png"))),
        "list": attempt(client.get_registered_faces),
        "recognize": attempt(lambda: client.recognize(read("zidane.jpg"))),
        "scene": attempt(lambda: client.scene(read("bus.jpg"))),
        "wrong_key": attempt(lambda: Client(base, "not-a-key").detect(read("bus.jpg"))),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
