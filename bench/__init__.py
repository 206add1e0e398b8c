"""Benchmarks: the emulator's throughput, peers, suite and OpenClaw timings, mutation testing."""
