"""Independent references for the tests: a plain numpy state-vector simulator
(:mod:`.statevector`), quimb driven gate for gate (:mod:`.quimb`), the tolerance
table (:mod:`.tolerances`) and where the test data lies (:mod:`.paths`). None of
them runs tensorbond's engine, so a bug there cannot hide in its own reference."""
