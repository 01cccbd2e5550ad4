"""Flow tools: the block registry (:mod:`flow.blocks`), the simulator runner (:mod:`flow.runner`),
the regression pytest plugin (:mod:`flow.regress`), the coverage merge and report
(:mod:`flow.cov`, :mod:`flow.cov_merge`), lint (:mod:`flow.lint`) and the one-block CLI
(``python -m flow.sim``). They build and run the RTL with the testbench (``verif``); the host
software (``sparsetrain``) and the testbench library do not import them, only the test modules'
pytest entries (``run_block``) and the applications that simulate (``demo``, ``bench``) do.
"""
