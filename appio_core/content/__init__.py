"""What a message may carry: codice fiscale, subject and text, payment data, due date, templates."""
