"""python -m survey: settings from the environment, then serve."""

from survey.app import create_app
from survey.settings import Settings
from servicekit.serve import run

if __name__ == "__main__":
    run(create_app, Settings())
