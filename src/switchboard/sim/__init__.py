"""Drivers on a virtual clock: scripted runs now, the traffic simulator later."""
