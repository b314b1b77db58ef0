"""Per-DUT environments: agents + scoreboard + coverage + sequence library."""
