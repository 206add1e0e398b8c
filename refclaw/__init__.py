"""The reference SMS gateway: an executable reading of the OpenClaw SMS channel guide.

It is the suite's default system under test. Its CLI (`refclaw`) mirrors the
verbs of `openclaw` so that one driver shape fits both. Where the guide is
silent, it follows what the real OpenClaw gateway was observed to do.
"""
