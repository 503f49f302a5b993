"""The ``shopsync`` command line: the composition root of every process (API, worker, simulator)."""
