"""The host's view of the accelerator top shared by its two testbenches
(:class:`verif.common.top_tb.TB`, cocotbext-axi AxiRam; :class:`verif.common.hdl_tb.HdlTB`, the
host memory in the HDL): 32-bit register reads and writes over AXI-Lite and placing data in host
memory.
"""

from __future__ import annotations

from sparsetrain.program import Reg


class HostPort:
    """Mixin: ``rd``/``wr`` of a control register, ``put`` of bytes in host memory.

    The class using it provides ``axil`` (a cocotbext-axi AxiLiteMaster on the top's s_axil),
    ``heap`` (a :class:`sparsetrain.program.HostHeap`) and ``ram`` (with ``write(address, bytes)``).
    """

    async def rd(self, reg: Reg) -> int:
        """The 32-bit value of register ``reg`` (one AXI-Lite read)."""
        return int.from_bytes((await self.axil.read(int(reg), 4)).data, "little")

    async def wr(self, reg: Reg, value: int) -> None:
        """Write the 32-bit ``value`` to register ``reg`` (one AXI-Lite write, every byte)."""
        await self.axil.write(int(reg), int(value).to_bytes(4, "little"))

    def put(self, data: bytes) -> int:
        """Allocate room for ``data`` on the host heap, write it there; returns its byte address."""
        addr = self.heap.alloc(len(data))
        self.ram.write(addr, data)
        return addr
