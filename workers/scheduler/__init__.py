"""The ``shopsync scheduler`` process: the home of periodic work (today the lost-job sweeper)."""
