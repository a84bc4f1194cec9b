"""The bank: the rail port settlement pays through (port.py), and a simulator of the bank
behind it (simulator.py, behaviours.py) that keeps its own state and talks back the way a
bank integration does, with notices and statements on settlement.bank-notifications."""
