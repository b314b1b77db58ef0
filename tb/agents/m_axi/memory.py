"""Simulated memory behind an `m_axi` port: cocotbext-axi's AxiRam with latency.

cocotbext-axi answers every burst at once; real memories do not. The two classes
below delay the first read beat of each burst and each write response by a random
number of cycles from the timing profile (drawn once per burst, so no Python runs
per cycle while waiting), and pause generators shape AR/AW/W READY and R/B VALID.
"""
from __future__ import annotations

import numpy as np
from cocotb.triggers import Timer
from cocotbext.axi.axi_ram import AxiRamRead, AxiRamWrite
from cocotbext.axi.memory import Memory

from llama_dv.tb.agents.axi_logs import quiet_models, quiet_port_logger
from llama_dv.tb.agents.m_axi.bus import vitis_axi_bus
from llama_dv.tb.agents.m_axi.config import MAxiConfig
from llama_dv.tb.agents.m_axi.pause import pause_generator


class _LatencyRead(AxiRamRead):
    """AxiRamRead that waits `read_latency` cycles between accepting AR and the first beat."""

    def configure_latency(self, lo: int, hi: int, period_ns: float, rng: np.random.Generator) -> None:
        accept = self.ar_channel.recv

        async def recv_after_latency():
            ar = await accept()
            cycles = int(rng.integers(lo, hi + 1)) if hi > 0 else 0
            if cycles:
                await Timer(cycles * period_ns, "ns", round_mode="round")
            return ar

        self.ar_channel.recv = recv_after_latency


class _LatencyWrite(AxiRamWrite):
    """AxiRamWrite that waits `write_response_latency` cycles before each B, and logs writes."""

    def configure_latency(self, lo: int, hi: int, period_ns: float, rng: np.random.Generator,
                          log: list[tuple[int, bytes]]) -> None:
        send = self.b_channel.send
        self._log = log

        async def send_after_latency(b):
            cycles = int(rng.integers(lo, hi + 1)) if hi > 0 else 0
            if cycles:
                await Timer(cycles * period_ns, "ns", round_mode="round")
            await send(b)

        self.b_channel.send = send_after_latency

    async def _write(self, address, data):
        self._log.append((address, bytes(data)))
        await super()._write(address, data)


class SlaveMemory(Memory):
    """Sparse byte memory serving one `m_axi_<bundle>` port with the configured timing."""

    def __init__(self, cfg: MAxiConfig, rng: np.random.Generator) -> None:
        super().__init__(cfg.memory_size)
        self.cfg = cfg
        self.write_log: list[tuple[int, bytes]] = []
        bus = vitis_axi_bus(cfg.dut, cfg.prefix)
        args = cfg.cocotbext_reset()
        quiet_port_logger(cfg.dut, cfg.prefix, cfg.verbose)
        self.write_if = _LatencyWrite(bus.write, *args, mem=self.mem)
        self.read_if = _LatencyRead(bus.read, *args, mem=self.mem)
        quiet_models(self.write_if, self.read_if, verbose=cfg.verbose)
        t = cfg.timing
        self.read_if.configure_latency(*t.read_latency, cfg.period_ns, rng)
        self.write_if.configure_latency(*t.write_response_latency, cfg.period_ns, rng, self.write_log)
        channels = {"arready": self.read_if.ar_channel, "awready": self.write_if.aw_channel,
                    "wready": self.write_if.w_channel, "rvalid": self.read_if.r_channel,
                    "bvalid": self.write_if.b_channel}
        for name, channel in channels.items():
            gen = pause_generator(getattr(t, name), rng)
            if gen is not None:
                channel.set_pause_generator(gen)

    def preload(self, address: int, values: np.ndarray, dtype: str | np.dtype) -> None:
        """Store `values` as little-endian `dtype` elements from `address`."""
        self.write(address, np.asarray(values).astype(np.dtype(dtype).newbyteorder("<")).tobytes())

    def fill(self, address: int, length: int, byte: int) -> None:
        """Fill a range with one byte value (poison for buffers the kernel must write)."""
        self.write(address, bytes([byte]) * length)

    def read_array(self, address: int, count: int, dtype: str | np.dtype) -> np.ndarray:
        """`count` little-endian `dtype` elements from `address`, as int64."""
        dt = np.dtype(dtype).newbyteorder("<")
        return np.frombuffer(bytes(self.read(address, count * dt.itemsize)), dtype=dt).astype(np.int64)
