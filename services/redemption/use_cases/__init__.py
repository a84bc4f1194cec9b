"""The saga's use cases: one verb per command or event, `verb(work, message) -> reply`.

requests.py   Redeem: start a redemption, refuse it, or answer a repeat (redemption.requests)
quotes.py     QuoteRedemption and FX's answer to it: a firm quote before the holder commits
steps.py      a reply of any step: the saga moves as the decision function says
deadlines.py  a step's deadline passing: re-send, compensate, query or park (the watchdog)
carry_out.py  what every verb does with a decision: publish, save the state, log the timeline
work.py       RedemptionWork and WatchdogWork, the repositories and terms the verbs need
"""
