"""The soak test of the platform under faults, and its independent audit."""
