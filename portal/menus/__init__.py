"""What the two menus (needs and offers) and help requests share: time slots, urgency, form fields, categories."""
