"""A fake Twilio: REST API, signed webhooks, status callbacks, faults and a control API."""
