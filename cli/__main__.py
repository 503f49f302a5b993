"""``python -m cli`` runs the shopsync command line."""

from cli.main import main

main()
