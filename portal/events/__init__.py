"""家校社活动 at /events and the 行事历 at /calendar: events with their 责任人, audience, registration through the
shared seat service, volunteers signing up, the summary after the event, and the calendar in print, Excel and iCal."""
