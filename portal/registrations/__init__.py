"""报名: registrations of families for things with seats (parent-school sessions, and events after them)."""
