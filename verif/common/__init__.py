"""Reusable cocotb testbench pieces (stream drivers/monitors, scoreboard, seed helpers)."""
