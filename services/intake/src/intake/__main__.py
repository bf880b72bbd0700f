"""python -m intake: settings from the environment, then serve."""

from intake.app import create_app
from intake.settings import Settings
from servicekit.serve import run

if __name__ == "__main__":
    run(create_app, Settings())
