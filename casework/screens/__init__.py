"""Textual screens: one module per screen or group of modals."""
