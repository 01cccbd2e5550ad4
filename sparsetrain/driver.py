"""Host driver (the chip's device driver, no testbench): run a :class:`sparsetrain.net.Net` on
the accelerator top (rtl/top/accel_top.v).

Given the network, its integer parameters (:func:`sparsetrain.net.quantize_params`), images and
labels, the memory planner (:func:`plan`) lays out the on-chip memories, and the driver writes
the lists, weights, biases, images and labels into host memory and builds one program (docs/program.md) that runs a whole mini-batch:
per image forward, loss, backward with gradients summed on chip, then the SGD update. Debug
STOREs copy every layer's output and input gradient of every image to host memory, so a test can
compare the chip with :func:`verif.models.network.train_step_model` (the testbench) layer by layer.

Small maps are stored **flat** where the convs allow it (:func:`flat_maps`, docs/uc_unit.md
"Flat small maps"): channel ``c``'s ``H*W`` pixels as one row, the row layout of ``(C, 1, H*W)``.
A conv whose maps are flat runs with the UC command's ``flat`` flag (one vector covers ``L / W``
map rows, so a 2 x 2 map keeps all lanes busy); the MP unit reads and writes them with its
``flat_x`` / ``flat_y`` flags, GAP takes the map as ``(C, 1, H*W)``, and the host packs and
unpacks them the same way (:meth:`Layout.store_shape`). Where two convs that share a map differ
(a stride-2 conv writing what a flat conv reads), a ReLU output is copied into the other layout
by one MP-unit command (:attr:`Layout.cvt`).

On an engine array the Linear classifier runs on the UC unit as a dense 1 x 1 conv
(:func:`linear_on_uc`), and each conv's output channels are held in the order that evens the
engines' work (:func:`channel_orders`); the read-back puts the model's order back.

It needs no simulator itself: ``write(addr, bytes)`` / ``read(addr, n)`` reach host memory (the
cocotbext-axi AXI RAM in a testbench) and :meth:`AccelRun.start` drives the registers through an
AXI-Lite master.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sparsetrain.geometry import conv_out_size
from sparsetrain.net import A_FRAC, DIL_MAX, G_FRAC, W_FRAC, Conv, Gap, Linear, MaxPool, Net, QParams, lr_factors
from sparsetrain.program import HostHeap, Mem, Program, Reg, bytes_to_words, words_to_bytes
from sparsetrain.sparse import SparseWeights, encode_dense, encode_sparse
from sparsetrain.uc import (Mode, UcCommand, UcParams, engine_balanced_order, map_to_words, order_work,
                            to_s, words_to_map)

MP_FWD, MP_BWD, RELU_BWD, MP_BWD_RELU = 0, 1, 2, 3
GAP_FWD, GAP_BWD = 0, 1


def may_run_flat(cmd: UcCommand, p: UcParams) -> bool:
    """Whether a conv command would gain from flat maps and may take them: the unit's rule
    (:meth:`sparsetrain.uc.UcCommand.flat_legal`: stride 1, W a power of two <= LANES, output as
    large as the input), W below LANES (at W = LANES a row already fills the lanes), and the flat
    row ``H*W`` within WMAX (GAP takes a flat map as ``(C, 1, H*W)``)."""
    return bool(cmd.flat_legal(p.lanes, p.hmax) and cmd.w < p.lanes and cmd.h * cmd.w <= p.wmax)


def flat_chain(is_conv: list[bool], wants: list[bool], converts: list[bool] | None = None) -> list[bool]:
    """Which layers of a chain run flat: a conv flat when it ``wants`` to (:func:`may_run_flat`)
    and every conv sharing a map with it either runs flat too or the map can be converted
    (layer ``i`` reads map ``i - 1`` and writes map ``i``; a flat command stores all its maps
    flat, and a row-layout one none). ``converts[i]``: layer ``i``'s output map may be copied into
    the other layout (the driver does it for a conv with ReLU, :func:`flat_maps`). The largest
    such set: start from ``wants`` and drop any conv next to a conv of the other layout across a
    map that cannot be converted, until nothing changes. MaxPool, GAP and Linear neighbours take
    either layout. Lists of one bool a layer (``converts`` None: none); raises ValueError on
    lengths that differ."""
    n = len(is_conv)
    converts = [False] * n if converts is None else list(converts)
    if len(wants) != n or len(converts) != n:
        raise ValueError(f"{n} layers, {len(wants)} / {len(converts)} flags")
    flat = [bool(c and w) for c, w in zip(is_conv, wants)]
    changed = True
    while changed:
        changed = False
        for i, f in enumerate(flat):
            if not f:
                continue
            left = i > 0 and is_conv[i - 1] and not flat[i - 1] and not converts[i - 1]
            right = i + 1 < n and is_conv[i + 1] and not flat[i + 1] and not converts[i]
            if left or right:
                flat[i] = False
                changed = True
    return flat


def flat_maps(net: Net, p: UcParams, enable: bool = True) -> dict[int, tuple[bool, bool]]:
    """``{map: (written flat, read flat)}`` for map -1 (the input) and every layer's output
    ``i``: the layout of the side that writes it (layer ``i``'s output, its argmax and masked
    gradient) and of the side that reads it (what layer ``i + 1`` reads, and the gradient it
    writes back). Each conv's side is its own layout (:func:`flat_chain` of
    :func:`may_run_flat`, a conv with ReLU converting its output where the next conv's layout
    differs: :class:`Layout` ``cvt``); a pool, GAP, Linear or the input takes its conv
    neighbour's layout. The two sides differ only across a converted map. All False when
    ``enable`` is False (the row layout everywhere)."""
    layers = net.layers
    n = len(layers)
    is_conv = [isinstance(L, Conv) for L in layers]
    wants = [enable and is_conv[i] and may_run_flat(_geometry_cmd(net, i), p) for i in range(n)]
    flat = flat_chain(is_conv, wants, [is_conv[i] and layers[i].relu for i in range(n)])
    out = {}
    for j in range(-1, n):
        w_conv, r_conv = j >= 0 and is_conv[j], j + 1 < n and is_conv[j + 1]
        fw = flat[j] if w_conv else (flat[j + 1] if r_conv else False)
        fr = flat[j + 1] if r_conv else fw
        out[j] = (bool(fw), bool(fr))
    return out


def _geometry_cmd(net: Net, i: int) -> UcCommand:
    layer = net.layers[i]
    c, h, w = net.in_shape_of(i)
    return UcCommand(cin=c, cout=layer.cout, h=h, w=w, k=layer.k, stride=layer.stride,
                     dil=layer.dilation, pad=layer.pad)


class Alloc:
    """Bump allocator of one on-chip memory; raises when the network does not fit."""

    def __init__(self, name: str, depth: int, start: int = 0):
        self.name, self.depth, self.next = name, depth, start

    def take(self, n: int) -> int:
        if self.next + n > self.depth:
            raise ValueError(f"{self.name}: {self.next + n} words needed, the memory has {self.depth}")
        a = self.next
        self.next += n
        return a


@dataclass
class Layout:
    """Where every tensor and list lives on chip."""

    x0: int = 0
    out: list = field(default_factory=list)      # stack base of each layer's output
    dout: list = field(default_factory=list)     # stack base of the gradient w.r.t. each output
    arg: dict = field(default_factory=dict)      # MaxPool layer -> argmax map base
    drelu: dict = field(default_factory=dict)    # Conv+ReLU layer -> masked gradient base
    w_base: dict = field(default_factory=dict)   # Conv / Linear layer -> WGT/GRAD base
    b_base: dict = field(default_factory=dict)   # Conv (Linear on the UC unit) -> BIDX base
    fptr: dict = field(default_factory=dict)
    bptr: dict = field(default_factory=dict)
    #: Linear on the UC unit -> pointer table of its empty list (the bias-gradient WGRAD)
    bias_ptr: dict = field(default_factory=dict)
    bias: dict = field(default_factory=dict)     # Conv / Linear -> BIAS/BGRAD base
    used: dict = field(default_factory=dict)     # memory -> words used
    #: map (-1 input, i layer i's output) -> (written flat, read flat), :func:`flat_maps`
    flat: dict = field(default_factory=dict)
    #: map -> base of its copy in the reading conv's layout, where the two sides differ: a
    #: RELU_BWD command with dY = Y = the output (a ReLU output: the copy is exact) writes it
    #: in forward, and the writing conv's own RELU_BWD reads the gradient and this copy, in the
    #: reader's layout, and writes its masked gradient in the writer's (so backward costs nothing more)
    cvt: dict = field(default_factory=dict)

    def is_flat(self, j: int, read: bool = False) -> bool:
        """Whether map ``j``'s writing side (``read`` True: its reading side) is stored flat."""
        return bool(self.flat.get(j, (False, False))[1 if read else 0])

    def store_shape(self, j: int, shape, read: bool = False) -> tuple[int, int, int]:
        """How map ``j`` (-1: the input; ``i``: layer ``i``'s output) of shape ``(C, H, W)`` lies
        in the stack on its writing side (the output, argmax, masked gradient) or, ``read``, its
        reading side (what the next layer reads, the gradient w.r.t. it): ``(C, 1, H*W)`` when
        flat."""
        c, h, w = (int(v) for v in shape)
        return (c, 1, h * w) if self.is_flat(j, read) else (c, h, w)

    def src(self, j: int) -> int:
        """Stack base of what the layer after map ``j`` reads: the input, the output, or its
        converted copy."""
        return self.x0 if j < 0 else self.cvt.get(j, self.out[j])


def plan(net: Net, q: QParams, p: UcParams, flat: bool = True, lc: bool = False) -> Layout:
    """Place every tensor in the stack and every list in its memory.

    Maps are flat where :func:`flat_maps` says (``flat`` False: nowhere); a flat map of ``(C, H,
    W)`` takes the words of ``(C, 1, H*W)``, ``C * ceil(H*W / 2L)``.

    A conv takes ``nnz`` words of the weight (and gradient) memory and of the backward-index
    memory, ``N + C`` pointers and ``N`` biases (a Linear ``C -> M``: ``M*C`` weights and ``M``
    biases; on the UC unit, :func:`linear_on_uc` unless ``lc``, also ``M*C`` backward-index words
    and ``2M + C`` pointers); a depth-wise conv's list is the block-diagonal
    kernel's (:func:`sparsetrain.sparse.depthwise_dense`), so it takes its diagonal blocks'
    ``nnz <= C*K*K`` words, and still ``C`` forward and ``C`` backward pointers (one entry per
    channel, no more).
    """
    st = Alloc("stack", p.fm_depth)
    wg = Alloc("weight memory", p.wdepth)
    bi = Alloc("backward-index memory", p.wdepth)
    pt = Alloc("pointer memory", p.pdepth)
    bb = Alloc("bias memory", p.bdepth)
    lay = Layout(flat=flat_maps(net, p, flat))
    lay.x0 = st.take(p.map_words(*lay.store_shape(-1, net.in_shape)))
    for i, layer in enumerate(net.layers):
        words = p.map_words(*lay.store_shape(i, net.shapes[i]))
        rwords = p.map_words(*lay.store_shape(i, net.shapes[i], read=True))
        lay.out.append(st.take(words))
        if lay.is_flat(i) != lay.is_flat(i, read=True):
            lay.cvt[i] = st.take(rwords)
        lay.dout.append(st.take(rwords))
        if isinstance(layer, MaxPool) and not pool_xarg(p):
            lay.arg[i] = st.take(words)
        if isinstance(layer, Conv):
            if relu_bwd_cmd(net, lay, i):
                lay.drelu[i] = st.take(words)
            sw = q.convs[i]
            lay.w_base[i] = wg.take(sw.nnz)
            lay.b_base[i] = bi.take(sw.nnz)
            lay.fptr[i] = pt.take(sw.shape[0])
            lay.bptr[i] = pt.take(sw.shape[1] * (1 if layer.bwd_split is None else 4))
            lay.bias[i] = bb.take(sw.shape[0])
        if isinstance(layer, Linear):
            m, c = q.lin_w[i].shape
            lay.w_base[i] = wg.take(m * c)
            lay.bias[i] = bb.take(m)
            if linear_on_uc(net, p, i) and not lc:
                lay.b_base[i] = bi.take(m * c)
                lay.fptr[i] = pt.take(m)
                lay.bptr[i] = pt.take(c)
                lay.bias_ptr[i] = pt.take(m)
    lay.used = {"stack": st.next, "weights": wg.next, "bwd index": bi.next, "pointers": pt.next,
                "biases": bb.next}
    return lay


# ------------------------------------------------------------------ channel order on the chip
def bwd_reader(net: Net, i: int) -> int | None:
    """The Conv whose BWD_DATA is split over the channels of layer ``i``'s output map, in the
    map's order: the next layer, or the one after a MaxPool (which keeps the order), when it is a
    Conv that is not depth-wise; else None."""
    j = i + 1
    if j < len(net.layers) and isinstance(net.layers[j], MaxPool):
        j += 1
    if j < len(net.layers) and isinstance(net.layers[j], Conv) and not net.layers[j].depthwise:
        return j
    return None


def channel_orders(net: Net, q: QParams, engines: int) -> dict[int, np.ndarray]:
    """``{map: order}`` for map -1 (the input) and every layer's output ``i``: the chip holds
    channel ``order[j]`` of the map at position ``j``. A (not depth-wise) Conv's output takes
    :func:`sparsetrain.uc.engine_balanced_order` of :func:`sparsetrain.uc.order_work`: its
    filters' FWD and WGRAD work (non-zeros times output pixels) and the BWD_DATA work of the conv
    that reads the map (:func:`bwd_reader`: its non-zeros per input channel times its input
    pixels), so that the engine array's static split gives every engine about the same work in
    all three (issue 14); the input and a Linear's output keep their order; a depth-wise Conv, a MaxPool and GAP
    keep the order of the map they read (channel by channel). One engine: every order the
    identity. The network computes the same values: each map is a channel permutation of the
    model's, the next layer's weights take their input channels in the same order
    (:func:`permute_params`), and the driver puts the order back when it reads a tensor or the
    parameters (:class:`AccelRun`)."""
    orders = {-1: np.arange(net.in_shape[0])}
    for i, layer in enumerate(net.layers):
        if (isinstance(layer, Conv) and layer.depthwise) or isinstance(layer, (MaxPool, Gap)):
            orders[i] = orders[i - 1]
        elif isinstance(layer, Conv) and engines > 1:
            _, h, w = net.shapes[i]
            j = bwd_reader(net, i)
            nxt = {} if j is None else {"next_bwd": q.convs[j].bwd_count,
                                        "next_in_pixels": int(np.prod(net.in_shape_of(j)[1:]))}
            orders[i] = engine_balanced_order(order_work(q.convs[i].fwd_count, h * w, **nxt), engines)
        else:
            orders[i] = np.arange(net.shapes[i][0])
    return orders


def _lin_index(shape, order) -> np.ndarray:
    """A Linear's input positions (C*H*W, channel-major) in the chip's channel ``order``."""
    c, h, w = (int(v) for v in shape)
    return np.arange(c * h * w).reshape(c, h * w)[np.asarray(order)].ravel()


def permute_params(net: Net, q: QParams, orders: dict, back: bool = False) -> QParams:
    """``q`` as the chip holds it with the channel ``orders`` (:func:`channel_orders`): each
    Conv's filters and bias in its output's order and its input channels in its input's, each
    Linear's inputs in its input's order. ``back``: the inverse (chip -> model order)."""
    out = q.copy()
    inv = {j: np.argsort(o) for j, o in orders.items()}
    for i, layer in enumerate(net.layers):
        o_out, o_in = orders[i], orders[i - 1]
        if isinstance(layer, Conv):
            out.convs[i] = (q.convs[i].permuted(inv[i], inv[i - 1]) if back
                            else q.convs[i].permuted(o_out, o_in))
        elif isinstance(layer, Linear):
            idx = _lin_index(net.in_shape_of(i), o_in)
            if back:
                out.lin_w[i][:, idx] = q.lin_w[i]
            else:
                out.lin_w[i] = q.lin_w[i][:, idx]
        if i in q.biases and isinstance(layer, Conv):
            if back:
                out.biases[i][o_out] = q.biases[i]
            else:
                out.biases[i] = q.biases[i][o_out]
    return out


@dataclass
class AccelRun:
    """One program and the host addresses it uses. ``q`` holds the parameters as the chip does
    (channels in the ``orders`` of :func:`channel_orders`); :meth:`read_tensor` and
    :meth:`read_params` give them back in the model's order."""

    net: Net
    q: QParams
    p: UcParams
    lay: Layout
    prog: Program
    batch: int
    debug: dict = field(default_factory=dict)    # (kind, layer) -> (host addr, bytes per image, shape, stored shape)
    params_out: dict = field(default_factory=dict)   # (mem, layer) -> (host addr, count)
    orders: dict = field(default_factory=dict)   # map -> channel order on chip (empty: the model's)

    async def start(self, axil, write, heap: HostHeap) -> int:
        """Put the program in host memory and start it; returns the program's address."""
        addr = self.prog.place(write, heap)
        await axil.write(int(Reg.PROG_ADDR), addr.to_bytes(4, "little"))
        await axil.write(int(Reg.PROG_LEN), len(self.prog).to_bytes(4, "little"))
        await axil.write(int(Reg.CTRL), (1).to_bytes(4, "little"))
        return addr

    def read_tensor(self, read, kind: str, layer: int, image: int) -> np.ndarray:
        """Layer ``layer``'s tensor ``kind`` ("out", "din", "drelu", "dlogits") of image ``image``
        from its debug STORE, as ``(C, H, W)`` int16 (a flat map unpacked as ``(C, 1, H*W)``)."""
        addr, step, shape, stored = self.debug[(kind, layer)]
        sw = self.p.width(0)
        data = read(addr + image * step, step)
        t = words_to_map(bytes_to_words(data, sw), stored, self.p.lanes).reshape(shape)
        # the chip's channel order back to the model's ("din": w.r.t. the layer's input map)
        order = self.orders.get(layer - 1 if kind == "din" else layer) if kind != "dlogits" else None
        if order is None:
            return t
        out = np.empty_like(t)
        out[np.asarray(order)] = t
        return out

    def read_params(self, read) -> QParams:
        """The updated weights and biases, from the final STOREs."""
        out = self.q.copy()
        for (mem, i), (addr, count) in self.params_out.items():
            width = 16 if mem == Mem.WGT else 32
            vals = [to_s(v, width) for v in bytes_to_words(read(addr, 4 * count), width)]
            if mem == Mem.WGT and i in out.convs:
                out.convs[i] = out.convs[i].with_values(np.array(vals, dtype=np.int16))
            elif mem == Mem.WGT:
                out.lin_w[i] = np.array(vals, dtype=np.int16).reshape(out.lin_w[i].shape)
            else:
                out.biases[i] = np.array(vals, dtype=np.int32)
        return permute_params(self.net, out, self.orders, back=True) if self.orders else out


def _put(write, heap: HostHeap, data: bytes) -> int:
    addr = heap.alloc(len(data))
    write(addr, data)
    return addr


def check_labels(net: Net, labels) -> list[int]:
    """``labels`` (one per image) as a list of Python ints, each checked to be an integer in
    0..classes-1 (classes = the output count of the net's last layer, its Linear classifier).

    The chip's label field is 16 bits wide and its loss unit answers BAD_LABEL for a label >=
    classes; the host refuses first: ValueError naming the image index and the value for a label
    that is not an integer (a bool or a float such as 3.0 included) or is out of range.
    """
    classes = net.layers[-1].cout
    out = []
    for i, v in enumerate(labels):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise ValueError(f"label of image {i}: {v!r} is not an integer (labels are 0..{classes - 1})")
        if not 0 <= int(v) < classes:
            raise ValueError(f"label of image {i}: {int(v)} ({int(v):#x}) out of range 0..{classes - 1} "
                             f"(the net has {classes} classes)")
        out.append(int(v))
    return out


def build_program(net: Net, q: QParams, p: UcParams, images, labels, write, heap: HostHeap,
                  lr: float = 0.05, train: bool = True, debug: bool = True, flat: bool = True,
                  balance: bool = True, lc: bool = False) -> AccelRun:
    """The whole mini-batch as one program (training step, or inference when ``train`` is False).

    ``flat``: store small maps flat where the convs allow it (:func:`flat_maps`; False: the row
    layout everywhere, the same results in more cycles).
    ``balance``: on an engine array, hold each conv's output channels in the order that evens out
    the engines' work (:func:`channel_orders`; False: the model's order; the same results).
    ``lc``: run the Linear layers on the LC unit even where :func:`linear_on_uc` would put them on
    the UC unit (the same results in more cycles; the array's LC unit stays tested).

    ``labels``: one per image, integers 0..classes-1; anything else raises ValueError (see
    :func:`check_labels`) before anything is written to host memory.
    """
    labels = check_labels(net, labels)
    orders = channel_orders(net, q, p.engines if balance else 1)
    q = permute_params(net, q, orders)          # the parameters as the chip holds them
    lay = plan(net, q, p, flat, lc)
    prog = Program()
    run = AccelRun(net, q, p, lay, prog, len(labels), orders=orders)
    sw_bits = p.width(0)
    fmt = p.fmt

    # ---- parameters: loaded once, stay on chip
    for i, layer in enumerate(net.layers):
        if isinstance(layer, Conv):
            pk = q.convs[i].pack(fmt, w_base=lay.w_base[i], b_base=lay.b_base[i], split_dil=layer.bwd_split)
            # the packed pointers carry absolute addresses; tables go to their own bases
            for mem, base, words, width in ((Mem.WGT, lay.w_base[i], pk.wgt, 16),
                                            (Mem.FIDX, lay.w_base[i], pk.fwd_idx, fmt.fwd_idx_w),
                                            (Mem.BIDX, lay.b_base[i], pk.bwd_idx, fmt.bwd_idx_w),
                                            (Mem.PTR, lay.fptr[i], pk.fwd_ptr, fmt.ptr_w),
                                            (Mem.PTR, lay.bptr[i], pk.bwd_ptr, fmt.ptr_w)):
                if words:
                    prog.load(mem, base, len(words), _put(write, heap, words_to_bytes(words, width)))
        if isinstance(layer, Linear) and i in lay.fptr:
            # the dense list of the 1 x 1 convolution (its weights in the same order), and an
            # empty list whose WGRAD writes only the bias gradient
            pk = linear_lists(q, i).pack(fmt, w_base=lay.w_base[i], b_base=lay.b_base[i])
            pk0 = linear_lists(q, i, empty=True).pack(fmt, w_base=lay.w_base[i], b_base=lay.b_base[i])
            for mem, base, words, width in ((Mem.WGT, lay.w_base[i], pk.wgt, 16),
                                            (Mem.FIDX, lay.w_base[i], pk.fwd_idx, fmt.fwd_idx_w),
                                            (Mem.BIDX, lay.b_base[i], pk.bwd_idx, fmt.bwd_idx_w),
                                            (Mem.PTR, lay.fptr[i], pk.fwd_ptr, fmt.ptr_w),
                                            (Mem.PTR, lay.bptr[i], pk.bwd_ptr, fmt.ptr_w),
                                            (Mem.PTR, lay.bias_ptr[i], pk0.fwd_ptr, fmt.ptr_w)):
                prog.load(mem, base, len(words), _put(write, heap, words_to_bytes(words, width)))
        elif isinstance(layer, Linear):
            w = [int(v) & 0xFFFF for v in q.lin_w[i].ravel()]
            prog.load(Mem.WGT, lay.w_base[i], len(w), _put(write, heap, words_to_bytes(w, 16)))
        if i in q.biases:
            b = [int(v) & 0xFFFFFFFF for v in q.biases[i]]
            prog.load(Mem.BIAS, lay.bias[i], len(b), _put(write, heap, words_to_bytes(b, 32)))

    # ---- images and labels, one after the other in host memory
    x0_shape = lay.store_shape(-1, net.in_shape)    # (the input is never converted)
    img_words = [map_to_words(np.asarray(x).reshape(x0_shape), p.lanes) for x in images]
    img_bytes = [words_to_bytes(w, sw_bits) for w in img_words]
    img_addr = _put(write, heap, b"".join(img_bytes))
    lab_addr = _put(write, heap, b"".join(l.to_bytes(4, "little") for l in labels))

    def dbg(kind, i, base, shape, j, read=False):
        # j: the map the tensor belongs to, read: its reading side (its layout)
        if not debug:
            return
        stored = lay.store_shape(j, shape, read)
        nbytes = len(words_to_bytes([0] * p.map_words(*stored), sw_bits))
        addr = heap.alloc(nbytes * len(labels))
        run.debug[(kind, i)] = (addr, nbytes, tuple(shape), stored)
        prog.store(Mem.STACK, base, p.map_words(*stored), addr, nbytes)

    prog.loop(len(labels))
    prog.load(Mem.STACK, lay.x0, len(img_words[0]), img_addr, len(img_bytes[0]))
    prog.load(Mem.LABEL, 0, 1, lab_addr, 4)

    # ---- forward
    n = len(net.layers)
    for i, layer in enumerate(net.layers):
        src = lay.src(i - 1)
        c, h, w = net.in_shape_of(i)
        fx, fy = int(lay.is_flat(i - 1, read=True)), int(lay.is_flat(i))
        if isinstance(layer, Conv):
            prog.uc(_conv_cmd(Mode.FWD, net, q, lay, i, x_base=src, y_base=lay.out[i]))
            if i in lay.cvt:
                # the output copied into the next conv's layout: dX = dY where Y > 0, dY = Y = the
                # ReLU output (>= 0), so the copy is exact
                co, ho, wo = net.shapes[i]
                prog.mp(RELU_BWD, co, ho, wo, lay.cvt[i], lay.out[i], lay.out[i],
                        flat_x=int(lay.is_flat(i, read=True)), flat_y=fy)
        elif isinstance(layer, MaxPool):
            # (no argmax map on a large array: a_base unused, MP_BWD reads X at src)
            xarg = pool_xarg(p)
            prog.mp(MP_FWD, c, h, w, src, lay.out[i], 0 if xarg else lay.arg[i], flat_x=fx, flat_y=fy,
                    xarg=int(xarg))
        elif isinstance(layer, Gap):
            prog.gap(GAP_FWD, *lay.store_shape(i - 1, (c, h, w), read=True), src, lay.out[i])
        elif isinstance(layer, Linear) and i in lay.fptr:
            prog.uc(_linear_cmd(Mode.FWD, net, lay, i, x_base=src, y_base=lay.out[i]))
        elif isinstance(layer, Linear):
            prog.lc(0, c, layer.cout, W_FRAC, src, lay.out[i], lay.w_base[i], lay.bias[i])
        dbg("out", i, lay.out[i], net.shapes[i], i)
    classes = net.shapes[-1][0]
    prog.loss(classes, A_FRAC, G_FRAC, lay.out[n - 1], lay.dout[n - 1])   # (C, 1, 1): either layout

    if train:
        # ---- backward: dout[i] is the gradient w.r.t. layer i's output
        for i in range(n - 1, -1, -1):
            layer = net.layers[i]
            src = lay.src(i - 1)
            dst = None if i == 0 else lay.dout[i - 1]
            c, h, w = net.in_shape_of(i)
            fx, fy = int(lay.is_flat(i - 1, read=True)), int(lay.is_flat(i))
            if isinstance(layer, Linear) and i in lay.fptr:
                # the weight gradient (its shift), then the bias gradient dY unshifted, as the LC
                # unit's (the empty list: every filter only its bias item)
                prog.uc(_linear_cmd(Mode.WGRAD, net, lay, i, x_base=src, y_base=lay.dout[i]), gacc_auto=True)
                prog.uc(_linear_cmd(Mode.WGRAD, net, lay, i, x_base=src, y_base=lay.dout[i], bgrad=1,
                                    shift=0, fptr_base=lay.bias_ptr[i]), gacc_auto=True)
                if dst is not None:
                    prog.uc(_linear_cmd(Mode.BWD_DATA, net, lay, i, x_base=dst, y_base=lay.dout[i]))
            elif isinstance(layer, Linear):
                prog.lc(2, c, layer.cout, layer.wgrad_shift, src, lay.dout[i], lay.w_base[i], lay.bias[i],
                        bgrad=1, gacc_auto=True)
                if dst is not None:
                    prog.lc(1, c, layer.cout, W_FRAC, dst, lay.dout[i], lay.w_base[i], lay.bias[i])
            elif isinstance(layer, Gap):
                prog.gap(GAP_BWD, *lay.store_shape(i - 1, (c, h, w), read=True), dst, lay.dout[i])
            elif isinstance(layer, MaxPool):
                # with a Conv + ReLU below: its ReLU backward in the same pass (MP_BWD_RELU)
                # (no argmax map on a large array: the argmax found again from the pool's input
                # X, at src in dX's layout)
                xarg = pool_xarg(p)
                prog.mp(MP_BWD_RELU if net.pool_fuses_relu(i) else MP_BWD, c, h, w, dst, lay.dout[i],
                        src if xarg else lay.arg[i], flat_x=fx, flat_y=fy, xarg=int(xarg))
            elif isinstance(layer, Conv):
                dy = lay.dout[i]
                if relu_bwd_cmd(net, lay, i):
                    co, ho, wo = net.shapes[i]
                    # dX (the masked gradient) on map i's writing side; dY and Y on its reading side
                    # (Y: the converted copy where there is one)
                    prog.mp(RELU_BWD, co, ho, wo, lay.drelu[i], lay.dout[i], lay.src(i), flat_x=fy,
                            flat_y=int(lay.is_flat(i, read=True)))
                    dy = lay.drelu[i]
                    dbg("drelu", i, dy, net.shapes[i], i)
                prog.uc(_conv_cmd(Mode.WGRAD, net, q, lay, i, x_base=src, y_base=dy, bgrad=1),
                        gacc_auto=True)
                if dst is not None:
                    # with a Conv + ReLU below: its ReLU backward in the same pass, masked by
                    # what this conv reads (its input X, in dX's layout)
                    fuse = net.conv_fuses_relu(i)
                    prog.uc(_conv_cmd(Mode.BWD_DATA, net, q, lay, i, x_base=dst, y_base=dy,
                                      relu=int(fuse), m_base=src if fuse else 0))
            if dst is not None:
                dbg("din", i, dst, net.in_shape_of(i), i - 1, read=True)
        dbg("dlogits", n - 1, lay.dout[n - 1], net.shapes[-1], n - 1, read=True)
    prog.endloop()

    if train:
        # ---- SGD on the batch sums, then the new parameters back to the host
        for i, layer in enumerate(net.layers):
            if i not in q.biases:
                continue
            (mw, shw), (mb, shb) = lr_factors(layer, lr, len(labels))
            if isinstance(layer, Conv) or i in lay.fptr:
                cmd = (_conv_cmd(Mode.UPDATE, net, q, lay, i, x_base=0, y_base=0) if isinstance(layer, Conv)
                       else _linear_cmd(Mode.UPDATE, net, lay, i, x_base=0, y_base=0))
                cmd.lr_mult, cmd.lr_shift, cmd.lr_mult_b, cmd.lr_shift_b = mw, shw, mb, shb
                prog.uc(cmd)
                count = q.convs[i].nnz if isinstance(layer, Conv) else q.lin_w[i].size
            else:
                c = net.in_shape_of(i)[0]
                prog.lc(3, c, layer.cout, 0, 0, 0, lay.w_base[i], lay.bias[i],
                        lr=(mw, shw, mb, shb))
                count = q.lin_w[i].size
            if count:
                addr = heap.alloc(4 * count)
                prog.store(Mem.WGT, lay.w_base[i], count, addr)
                run.params_out[(Mem.WGT, i)] = (addr, count)
            nb = len(q.biases[i])
            addr = heap.alloc(4 * nb)
            prog.store(Mem.BIAS, lay.bias[i], nb, addr)
            run.params_out[(Mem.BIAS, i)] = (addr, nb)
    prog.end()
    return run


def relu_bwd_cmd(net: Net, lay: Layout, i: int) -> bool:
    """Whether Conv ``i``'s backward starts with a RELU_BWD command (MP unit): its ReLU backward
    is not done above it (:meth:`sparsetrain.net.Net.relu_bwd_needed`), or the Conv above does it
    (BWD_DATA with relu) but reads map ``i`` in the other layout (a converted copy,
    :class:`Layout` ``cvt``): then the RELU_BWD still converts the gradient back into this conv's
    layout (masking it again changes nothing)."""
    return net.relu_bwd_needed(i) or (net.conv_fuses_relu(i + 1) and i in lay.cvt)


#: From this many engines the top's MP unit reads 8 stack copies a cycle (rtl/top/accel_top.v,
#: RD_PORTS = 8), and the driver runs the pools without the argmax map (:func:`pool_xarg`)
XARG_ENGINES = 8


def pool_xarg(p: UcParams) -> bool:
    """Whether the driver's max pools run without the argmax map (the MP command's ``xarg``,
    docs/units.md "No argmax map"): on an array of :data:`XARG_ENGINES` engines or more, where
    MP_FWD then reads both window rows of 2L pooled pixels a cycle and writes Y only (one cycle a
    vector, not two: Y and the argmax words were two writes), and MP_BWD / MP_BWD_RELU find each
    window's argmax again from the pool's input X, which the plan keeps in the stack anyway
    (the same cycles as reading the argmax words). The results are the same bit for bit: the
    same first-maximum rule and "maximum > 0" bit, from the same X (issue 14)."""
    return p.engines >= XARG_ENGINES


def linear_on_uc(net: Net, p: UcParams, i: int) -> bool:
    """Whether the driver runs Linear ``i`` on the UC unit, as a 1 x 1 convolution of its
    ``(C, 1, 1)`` input with a dense list (:func:`linear_lists`), instead of on the LC unit: on an
    engine array (``p.engines`` > 1), where ``C`` and the output count fit CMAX and NMAX. The
    array spreads the outputs (FWD, WGRAD, UPDATE) or the inputs (BWD_DATA) over its engines,
    where the LC unit takes one or two products a cycle (issue 14). The results are the LC
    unit's, bit for bit: ``requant(b + W x)``, ``requant(W^T dy)``, ``sat32(round_shift(dy x,
    wgrad_shift))``, the bias gradient ``dy`` unshifted (a second WGRAD, shift 0, on an empty list
    of the same filters), the same SGD step."""
    layer = net.layers[i]
    return (isinstance(layer, Linear) and p.engines > 1 and net.in_shape_of(i)[0] <= p.cmax
            and layer.cout <= p.nmax)


def linear_lists(q: QParams, i: int, empty: bool = False) -> SparseWeights:
    """Linear ``i``'s weights ``(M, C)`` as the dense list of a 1 x 1 convolution (every entry
    kept, zeros too; weight order = ``lin_w.ravel()``); ``empty``: the same ``(M, C, 1, 1)``
    shape with no entry (its WGRAD with ``bgrad`` writes only the bias gradient)."""
    w = q.lin_w[i][:, :, None, None]
    return encode_sparse(np.zeros_like(w)) if empty else encode_dense(w)


def _linear_cmd(mode, net: Net, lay: Layout, i: int, x_base: int, y_base: int, bgrad: int = 0,
                shift: int | None = None, fptr_base: int | None = None) -> UcCommand:
    """The UC command of Linear ``i`` (:func:`linear_on_uc`) in ``mode``: a 1 x 1 convolution on
    a 1 x 1 map; ``shift`` None: the layer's (WGRAD: ``wgrad_shift``, else W_FRAC); ``fptr_base``
    None: its dense list's pointers."""
    layer = net.layers[i]
    if shift is None:
        shift = layer.wgrad_shift if mode == Mode.WGRAD else W_FRAC
    return UcCommand(mode=int(mode), cin=net.in_shape_of(i)[0], cout=layer.cout, h=1, w=1, k=1, shift=shift,
                     bgrad=bgrad, x_base=x_base, y_base=y_base,
                     fptr_base=lay.fptr[i] if fptr_base is None else fptr_base, bptr_base=lay.bptr[i],
                     bias_base=lay.bias[i])


def _conv_cmd(mode, net: Net, q: QParams, lay: Layout, i: int, x_base: int, y_base: int,
              bgrad: int = 0, relu: int | None = None, m_base: int = 0) -> UcCommand:
    """The UC command of Conv ``i`` in ``mode``; ``relu`` None: the layer's ReLU in FWD (BWD_DATA
    with 1: the ReLU backward of the Conv below, mask map at ``m_base``)."""
    layer = net.layers[i]
    c, h, w = net.in_shape_of(i)
    sw = q.convs[i]
    shift = layer.wgrad_shift if mode == Mode.WGRAD else W_FRAC
    return UcCommand(mode=int(mode), cin=c, cout=sw.shape[0], h=h, w=w, k=layer.k,
                     stride=layer.stride, dil=layer.dilation, pad=layer.pad, shift=shift,
                     relu=int(layer.relu and mode == Mode.FWD) if relu is None else relu, bgrad=bgrad,
                     x_base=x_base, y_base=y_base, fptr_base=lay.fptr[i], bptr_base=lay.bptr[i],
                     bias_base=lay.bias[i], flat=int(lay.is_flat(i)), m_base=m_base)


def check_fits(net: Net, p: UcParams) -> None:
    """Raise ValueError naming the first limit the network breaks (UC command checks of
    docs/uc_unit.md: K, C, N against KMAX, CMAX, NMAX; stride 1..2, dilation 1..4; pad at most
    ``dilation * (K // 2)``; map sizes against HMAX, WMAX)."""
    for i, layer in enumerate(net.layers):
        c, h, w = net.in_shape_of(i)
        if isinstance(layer, Conv):
            if layer.k > p.kmax or c > p.cmax or layer.cout > p.nmax:
                raise ValueError(f"layer {i}: conv {c}->{layer.cout} k{layer.k} beyond the parameters")
            if not (1 <= layer.stride <= 2 and 1 <= layer.dilation <= DIL_MAX):
                raise ValueError(f"layer {i}: conv stride {layer.stride} dilation {layer.dilation}: the UC unit "
                                 f"takes stride 1..2, dilation 1..{DIL_MAX}")
            if layer.pad > layer.dilation * (layer.k // 2):
                raise ValueError(f"layer {i}: conv pad {layer.pad} above dilation*(k//2) = "
                                 f"{layer.dilation * (layer.k // 2)} (the UC unit's limit)")
            conv_out_size(h, layer.k, layer.stride, layer.pad, layer.dilation)
        if h > p.hmax or w > p.wmax:
            raise ValueError(f"layer {i}: map {h}x{w} beyond HMAX/WMAX")
