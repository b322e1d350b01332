"""What each audit action and record type is called on the audit log page. The log keeps the code (stable, for
searching and exports); people read these words. An action without a label shows its code."""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

ACTIONS = {
    "auth.login": _l("Logged in"),
    "auth.logout": _l("Logged out"),
    "auth.password_changed": _l("Changed the password"),
    "auth.password_set": _l("Set their own password in place of the school's"),
    "calendar.feed_token": _l("Made a new calendar address"),
    "class.save": _l("Saved a class"),
    "consent.record": _l("Recorded a guardian's consent"),
    "consent.withdraw": _l("Withdrew a guardian's consent"),
    "course.coverage_export": _l("Exported a course's coverage"),
    "course.save": _l("Saved a course"),
    "course_session.export": _l("Exported a session's attendance"),
    "course_session.save": _l("Saved a session"),
    "course_session.open": _l("Opened a session for registration"),
    "course_session.closed": _l("Closed a session's registration"),
    "course_session.cancelled": _l("Cancelled a session"),
    "course_session.done": _l("Marked a session held"),
    "event.create": _l("Imported an event"),
    "event.save": _l("Saved an event"),
    "event.planned": _l("Set an event back to planned"),
    "event.done": _l("Marked an event held"),
    "event.cancelled": _l("Cancelled an event"),
    "event.sign_up": _l("Signed a volunteer up for an event"),
    "event.withdraw": _l("Took a volunteer off an event"),
    "event.attendance": _l("Recorded volunteers at an event"),
    "event.family_attendance": _l("Recorded families at an event"),
    "event.summary": _l("Wrote an event's summary"),
    "event.photo.add": _l("Added an event photo"),
    "event.photo.delete": _l("Removed an event photo"),
    "events.import.upload": _l("Uploaded a calendar to import"),
    "events.import": _l("Imported a calendar"),
    "family.save": _l("Saved a family"),
    "family.link_child": _l("Linked a child to a family"),
    "guardian.add": _l("Added a guardian"),
    "help.submit": _l("Sent a help request"),
    "help.answer": _l("Answered a help request"),
    "help.to_need": _l("Turned a help request into a need"),
    "hours.on_behalf": _l("Entered hours for a volunteer"),
    "hours.approve": lazy_pgettext("audit action", "Approved hours"),  # the act; the hours totals column is a noun
    "hours.reject": _l("Sent hours back"),
    "hours.reverse": _l("Corrected approved hours"),
    "hours.levels": _l("Set the recognition levels"),
    "hours.export": _l("Exported the hours ledger"),
    "hours.recognition_export": _l("Exported the recognition list"),
    "hours.service_record": _l("Issued a service record"),
    "matching.plan": _l("Made a matching plan"),
    "matching.reject": _l("Rejected a proposed pair"),
    "need.create": _l("Raised a need"),
    "need.update": _l("Changed a need"),
    "need.status": _l("Changed a need's status"),
    "needs.filter.support_tags": _l("Filtered needs by support tag"),
    "needs.export": _l("Exported the needs menu"),
    "needs.import.upload": _l("Uploaded needs to import"),
    "needs.import": _l("Imported needs"),
    "offer.create": _l("Added an offer"),
    "offer.update": _l("Changed an offer"),
    "offer.create.on_behalf": _l("Added an offer for a volunteer"),
    "offer.update.on_behalf": _l("Changed an offer for a volunteer"),
    "offer.status": _l("Changed an offer's status"),
    "offers.export": _l("Exported the resource menu"),
    "offers.import.upload": _l("Uploaded offers to import"),
    "offers.import": _l("Imported offers"),
    "pair.create": _l("Made a pair"),
    "pair.confirm": _l("Confirmed a pair"),
    "pair.pause": _l("Paused a pair"),
    "pair.resume": _l("Resumed a pair"),
    "pair.end": _l("Ended a pair"),
    "pair.reassign": _l("Replaced a pair's volunteer"),
    "pair.leave": _l("A volunteer left a pair"),
    "pair.renew": _l("Carried a pair into the next term"),
    "partner.save": _l("Saved a partner"),
    "registration.cancel": _l("Cancelled a family's registration"),
    "registration.undo_check_in": _l("Undid a check-in"),
    "reports.coverage_view": _l("Viewed the students not yet covered"),
    "reports.export": _l("Exported a report"),
    "reports.annual_export": _l("Exported the annual workbook"),
    "student.save": _l("Saved a student"),
    "student.sensitive.view": _l("Viewed a student's sensitive data"),
    "student.tags.update": _l("Changed a student's support tags"),
    "student.activate": _l("Reactivated a student"),
    "student.deactivate": _l("Deactivated a student"),
    "family.activate": _l("Reactivated a family"),
    "family.deactivate": _l("Deactivated a family"),
    "volunteer.save": _l("Saved a volunteer"),
    "volunteer.activate": _l("Reactivated a volunteer"),
    "volunteer.deactivate": _l("Deactivated a volunteer"),
    "young_teacher.save": _l("Saved a young teacher"),
    "youngteacher.activate": _l("Reactivated a young teacher"),
    "youngteacher.deactivate": _l("Deactivated a young teacher"),
    "user.create": _l("Opened an account"),
    "user.update": _l("Changed an account"),
    "user.password_reset": _l("Reset a password and printed a new login slip"),
    "user.activate": _l("Reactivated an account"),
    "user.deactivate": _l("Deactivated an account"),
    "visit.create": _l("Recorded a visit"),
}

RECORDS = {
    "Student": _l("Student"), "Family": _l("Family"), "Guardian": _l("Guardian"), "Volunteer": _l("Volunteer"),
    "YoungTeacher": _l("Young teacher"), "SchoolClass": _l("Class"), "User": _l("Account"), "Consent": _l("Consent"),
    "Need": _l("Need"), "Offer": _l("Offer"), "HelpRequest": _l("Help request"), "Pair": _l("Pair"),
    "Visit": _l("Visit"), "HourEntry": _l("Hour entry"), "ServiceRecord": _l("Service record"),
    "Event": _l("Event"), "EventPhoto": _l("Event photo"), "Partner": _l("Partner"), "Course": _l("Course"),
    "CourseSession": _l("Session"), "Registration": _l("Registration"), "MatchPlan": _l("Matching plan"),
    "Proposal": _l("Proposed pair"), "ImportBatch": _l("Import"),
}


def action_label(code: str) -> str:
    return str(ACTIONS[code]) if code in ACTIONS else code


def record_label(kind: str) -> str:
    return str(RECORDS[kind]) if kind in RECORDS else kind


def actions_matching(words: str) -> list[str]:
    """The action codes whose label (in the reader's language) contains the words typed."""
    return [code for code, label in ACTIONS.items() if words in str(label)]
