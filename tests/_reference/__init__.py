"""Independent references for the tests: a plain numpy state-vector simulator,
the tolerance table, and where the test data lies. Nothing here uses tensorbond's
engine, so a bug there cannot hide in its own reference."""
