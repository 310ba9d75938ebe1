"""Static assets: fingerprinted names from the build's manifest, cached for a year.

`npm run build` writes static/dist/manifest.json mapping each logical name (app.css) to a
name with a content hash (app.1a2b3c4d5e.css). Pages link the hashed names, so a browser
may keep them forever; a new build changes the names.
"""

import json
import re
from pathlib import Path

from flask import Flask, url_for

ONE_YEAR = 365 * 24 * 3600
SHORT = 3600
_FINGERPRINTED = re.compile(r"^dist/[\w.-]+\.[0-9a-f]{10}(\.min)?\.\w+$")


def init_app(app: Flask) -> None:
    manifest_path = Path(app.static_folder or "static") / "dist" / "manifest.json"
    manifest: dict[str, str] = {}
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))

    @app.template_global()
    def asset_url(name: str) -> str:
        """The fingerprinted URL of a built asset (the plain name if not built)."""
        return url_for("static", filename=f"dist/{manifest.get(name, name)}")

    default_max_age = app.get_send_file_max_age

    def max_age(filename: str | None) -> int | None:
        if filename and _FINGERPRINTED.match(filename):
            return ONE_YEAR
        return default_max_age(filename) or SHORT

    app.get_send_file_max_age = max_age  # type: ignore[method-assign]
