"""The silence clocks: acknowledgement and customer-update deadlines, reminders and the ladder."""
