"""`make demo` (``python -m demo``): an application of the host software, ``sparsetrain``.

It pre-trains a CNN in float, prunes and quantizes it, fine-tunes it on the accelerator (the RTL
under a simulator: :mod:`demo.tb` drives it with :mod:`sparsetrain.driver` programs) and checks
every epoch against the bit-exact model (:mod:`verif.models.network`); :mod:`demo.run` is the flow.
"""
