"""The saga's outside systems: the broker's positions of the services it commands
(receivers.py), read to tell whether a command has reached its receiver."""
