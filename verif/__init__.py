"""Verification package: block registry, simulator runner, cocotb testbenches and models."""
