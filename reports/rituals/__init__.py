"""Team rituals: stand-ups, retrospectives, monthly SLA reviews and lead reviews of an
agreement, with a cadence, an agenda built from the data when a meeting is created, minutes,
attendance and action items carried over until done (docs/rituals.md)."""
