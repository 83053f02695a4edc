"""The visitor stage (issue 19 §2, seed 004): monthly visitor counts per source of an
agreement, as a web-analytics export gives them; the base of `visitor_to_lead`."""
