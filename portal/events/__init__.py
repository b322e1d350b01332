"""家校社活动: events with their 责任人. The hours ledger links helpers' hours to them; the events issue adds
the screens and the calendar."""
