"""sparsetrain: host software of the sparse CNN training accelerator.

What a user of the chip imports, with no testbench inside (it never imports ``verif``):

* :mod:`sparsetrain.numerics` fixed-point formats (docs/numerics.md), :mod:`sparsetrain.geometry`
* :mod:`sparsetrain.sparse` the sparse weight lists and the pruning rules (docs/sparse-format.md)
* :mod:`sparsetrain.net` network description, quantization, pruning, learning-rate fields;
  :mod:`sparsetrain.float_train` float pre-training of a network
* :mod:`sparsetrain.uc` the UC unit's parameters, command and stack-word layout (docs/uc_unit.md)
* :mod:`sparsetrain.program` descriptor encoder and host-memory images (docs/program.md)
* :mod:`sparsetrain.driver` memory planner and driver: a network's mini-batch as one program
"""
