"""A small client of the app's loopback API for the CLI and doctor: GET with the secret."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from desktop.core.hooks.listener import HEALTH_PATH, SECRET_HEADER
from desktop.paths import DataPaths


def api_get(port: int, path: str, paths: DataPaths, timeout: float) -> Any:
    """GET http://127.0.0.1:port/path with the data dir's secret (read, never created).

    Raises OSError (connection refused, timeout, an HTTP error) or ValueError (not JSON).
    """
    secret = paths.read_secret()
    headers = {SECRET_HEADER: secret} if secret else {}
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as reply:
        return json.loads(reply.read())


def app_health(port: int, paths: DataPaths, timeout: float) -> dict[str, Any] | None:
    """GET /api/health on loopback; None when nothing answers there or it is not claude-rpg."""
    try:
        data = api_get(port, HEALTH_PATH, paths, timeout)
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return data if isinstance(data, dict) and data.get("status") == "ok" else None
