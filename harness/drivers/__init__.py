"""Gateway drivers: one small interface, one implementation per kind of gateway."""
