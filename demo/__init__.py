"""`make demo` (``python -m demo``): an application of the host software, ``sparsetrain``.

It pre-trains a CNN in float, prunes and quantizes it, fine-tunes it on the accelerator (the RTL
under a simulator: :mod:`demo.tb` drives it with :mod:`sparsetrain.driver` programs) and checks
every epoch against the bit-exact model (:mod:`verif.models.network`); :mod:`demo.run` is the flow.
"""

import os

# single-threaded BLAS: the float training's small matrices run 10x faster than with threads
# fighting over 2 shared cores (set before NumPy loads)
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")
