"""Gateways the harness can drive: the embedded reference gateway, OpenClaw, external ones."""
