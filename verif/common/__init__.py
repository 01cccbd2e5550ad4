"""Testbench library: stream drivers/monitors, scoreboard, seeds, functional coverage, the units'
pyuvm environment (unit_env), the UC bus model and stimulus (uc_bfm, uc_stimulus, uc_random), the
top's testbench (top_tb, top_cov, top_stimulus) and feature-map placement (fm_layout)."""
