"""python -m dispatch: settings from the environment, then serve."""

from dispatch.app import create_app
from dispatch.settings import Settings
from servicekit.serve import run

if __name__ == "__main__":
    run(create_app, Settings())
