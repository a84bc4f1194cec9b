"""Outside systems, simulated: each runs as its own process with its own database."""
