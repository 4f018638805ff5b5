"""Start-up only: nothing to run; measures what a process pays once."""
