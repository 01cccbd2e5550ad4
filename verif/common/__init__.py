"""Testbench library: stream drivers/monitors, scoreboard, seeds, functional coverage, the one
pyuvm environment of every unit (unit_env, its BFM unit_bfm, the units' pieces in units/), the UC
stimulus (uc_stimulus, uc_random), the top's testbench (top_tb, top_cov, top_stimulus) and
feature-map placement (fm_layout)."""
