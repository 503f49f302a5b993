"""The ``shopsync scheduler`` process: the home of periodic work (the lost-job sweeper, sync
schedules)."""
