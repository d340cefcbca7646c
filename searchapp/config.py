"""Settings: one table of (name, default, help), read from the environment.

Each setting ``name`` can be set with the environment variable ``SEARCHAPP_<NAME>``;
command-line options override the environment. The Flask app reads the same table
(``app.config["SEARCHAPP_<NAME>"]``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    help: str

    @property
    def env(self) -> str:
        return f"SEARCHAPP_{self.name.upper()}"

    def value(self) -> str | None:
        return os.environ.get(self.env) or self.default


SETTINGS = {
    s.name: s
    for s in [
        Setting("corpus", "seeds", "folder of *.txt telegrams and *.xml FRUS TEI volumes to index"),
        Setting("index", "index", "folder where the index lives (generations and the 'current' link)"),
        Setting("abbreviations", None, "a TSV file of your own abbreviations, added to the built-in table"),
        Setting("host", "127.0.0.1", "address the web server listens on"),
        Setting("port", "8000", "port the web server listens on"),
        Setting("threads", "4", "worker threads of the web server (searches are CPU-bound: a few per core)"),
    ]
}


def setting(name: str) -> str | None:
    """The value of a setting: the environment variable, else the default."""
    return SETTINGS[name].value()
