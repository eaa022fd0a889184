"""The application layer: commands in, events out, one ordered log, timers and projections."""
