"""The saga's SQL, one module per aggregate, each a class on the transaction's connection.

sagas.py     one row per redemption: the saga as JSON, the columns the watchdog queries
step_log.py  the timeline of every saga (`saga_log`), written with the commit
quotes.py    the quote requests forwarded to FX and the answers given
outbox.py    whether the saga's commands reached the broker yet
reports.py   reading for operators (cli.py)
work.py      SqlWork and SweepWork: the use cases' work on a transaction
"""
