"""python -m analytics: settings from the environment, then serve."""

from analytics.app import create_app
from analytics.settings import Settings
from servicekit.serve import run

if __name__ == "__main__":
    run(create_app, Settings())
