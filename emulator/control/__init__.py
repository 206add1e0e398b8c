"""The emulator's own API under /_emulator/: drive the handset, provision, inspect, wait, inject
faults. routes.py holds the routes and their guard, schemas.py what each takes (openapi.py
publishes the same schemas), views.py what each answers, query.py the listing and wait engine,
notifier.py what wakes a wait."""

from emulator.control.notifier import Notifier
from emulator.control.routes import control

__all__ = ["Notifier", "control"]
