"""Drivers on a virtual clock: scripted runs and the traffic simulator."""
