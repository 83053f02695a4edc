"""The lead-process map of an agreement version (issue 19, seed 003): its ordered steps,
each with the stages it covers, its definition, owner team, exit criteria, metric and an
optional step SLA; and the flowchart drawn from them (`slas.process.flowchart`).

The figures measured on the steps (entries, conversion, time in step, SLA breaches) are
the reports app's (`reports.steps`); docs/compliance.md#process-steps defines them."""
