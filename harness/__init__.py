"""The conformance harness: pytest plugin, gateway drivers, senders and reports."""
