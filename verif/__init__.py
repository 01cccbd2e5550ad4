"""Testbench: the golden models (``verif.models``), the testbench library (``verif.common``), the
test harnesses (``verif/hdl``) and the tests (``verif.tests``). It uses the host software
(``sparsetrain``); the flow tools that build and run it are in ``flow``."""
