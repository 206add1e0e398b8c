"""Driving the real OpenClaw gateway offline: provisioning and its driver."""
