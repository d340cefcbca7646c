"""searchapp: full-text search of FRUS diplomatic telegrams, telegraphese included."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """The Flask app: settings from ``config.SETTINGS`` (``SEARCHAPP_<NAME>``), then Flask's
    own keys from the environment (``SEARCHAPP_SECRET_KEY`` → ``SECRET_KEY``), then tests."""
    from . import config, views, web_index

    app = Flask(__name__)
    app.config.from_mapping({s.env: s.value() for s in config.SETTINGS.values()})
    app.config.from_prefixed_env("SEARCHAPP")
    if test_config is not None:
        app.config.from_mapping(test_config)
    web_index.init_app(app)
    app.register_blueprint(views.bp)
    return app
