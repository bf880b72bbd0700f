"""python -m survey: settings from the environment, then serve."""

from servicekit.serve import run
from survey.app import create_app
from survey.settings import Settings

if __name__ == "__main__":
    run(create_app, Settings())
