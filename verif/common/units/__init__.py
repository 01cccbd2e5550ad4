"""What the one pyuvm environment (verif/common/unit_env.py) needs to know about each unit:
the shared base (:mod:`.common`: status codes, :class:`~.common.Unit`), the memory-table units
(:mod:`.table`: MP, GAP, LC, loss) and the UC unit (:mod:`.uc`, :mod:`.uc_cov`, :mod:`.uc_items`)."""
