"""Twilio's state as typed Python objects, one module per resource, composed by `Backend`.

Methods take Python values (`to`, `from_`, `body`, `media_urls`, …) and raise `ModelError`s
(errors.py); only responses.py knows Twilio's wire names.
"""

from emulator.models.backend import Backend

__all__ = ["Backend"]
