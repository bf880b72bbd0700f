"""python -m outage_notice: settings from the environment, then serve."""

from outage_notice.app import create_app
from outage_notice.settings import Settings
from servicekit.serve import run

if __name__ == "__main__":
    run(create_app, Settings())
