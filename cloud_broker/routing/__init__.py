"""Where an escalation goes: the router and its policy, circuit breakers, prompts, the checks
on actions a model proposes, and the usage ledger with budgets. Backends live apart."""
