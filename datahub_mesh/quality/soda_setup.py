"""Soda Core 3, set up before its first import.

Soda sends anonymous usage statistics unless its config file says otherwise, and writes
~/.soda/config.yml on first import to say it will. An ingestion plugin should do neither
behind its user's back: the setting is turned off in memory, and a config file Soda
insists on creating goes to a temporary folder, not the user's home. Soda's own scan
summaries are logged at INFO; they are kept out of the ingestion log.
"""

import logging
import tempfile
from pathlib import Path


def prepare_soda() -> None:
    from soda.common.config_helper import ConfigHelper

    fallback = Path(tempfile.gettempdir()) / "datahub-mesh-soda" / "config.yml"
    fallback.parent.mkdir(parents=True, exist_ok=True)
    ConfigHelper.get_instance(str(fallback)).config["send_anonymous_usage_stats"] = False
    logging.getLogger("soda").setLevel(logging.WARNING)


prepare_soda()
