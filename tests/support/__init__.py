"""Shared test support: finding the engine, isolated Pulumi sandboxes, the emulator."""
