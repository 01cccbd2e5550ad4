// The bare Verilated model of accel_top_hdlmem, no simulator interface and no testbench, clocked
// from C++ (bench/sim_ceiling.py builds and runs it). No harness around this model can run faster.
//
//   <binary> idle <cycles>                       reset, then <cycles> cycles of the idle chip
//   <binary> prog <addr> <descriptors> <regs> +HOSTMEM_INIT=<hex>
//       reset; the program already in host memory (a build with +define+HOSTMEM_FILES) started
//       as the cocotb testbench starts it (IRQ_EN, IRQ_STATUS, PROG_ADDR, PROG_LEN, CTRL over
//       AXI-Lite); run until irq; then the registers named in <regs> ("name=byte_addr,...", e.g.
//       the cycle counters) read back over AXI-Lite.
// <regs> also gives the control registers' addresses (irq_en, irq_status, prog_addr, prog_len,
// ctrl), so no address is written twice (sparsetrain.regmap is the one source).
// Prints "cycles <n> seconds <wall s> cpu <CPU s>" (of the run alone) and, for a program, "reg <name> <value>" lines.
#include "Vaccel_top_hdlmem.h"
#include "verilated.h"
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

double sc_time_stamp() { return 0; }

static Vaccel_top_hdlmem* top;
static long cycles;

static void tick() {
    top->clk = 1; top->eval();
    top->clk = 0; top->eval();
    cycles++;
}

static void axil_write(unsigned addr, unsigned data) {
    top->s_axil_awaddr = addr; top->s_axil_awprot = 0; top->s_axil_awvalid = 1;
    top->s_axil_wdata = data; top->s_axil_wstrb = 0xF; top->s_axil_wvalid = 1;
    top->s_axil_bready = 1;
    bool aw = false, w = false;
    for (int guard = 0; guard < 1000; guard++) {
        top->eval();
        const bool aw_hs = top->s_axil_awvalid && top->s_axil_awready;
        const bool w_hs = top->s_axil_wvalid && top->s_axil_wready;
        const bool b_hs = top->s_axil_bvalid;
        tick();
        if (aw_hs) { aw = true; top->s_axil_awvalid = 0; }
        if (w_hs) { w = true; top->s_axil_wvalid = 0; }
        if (aw && w && b_hs) { top->s_axil_bready = 0; return; }
    }
    std::fprintf(stderr, "AXI-Lite write to %#x: no response\n", addr);
    std::exit(2);
}

static unsigned axil_read(unsigned addr) {
    top->s_axil_araddr = addr; top->s_axil_arprot = 0; top->s_axil_arvalid = 1; top->s_axil_rready = 1;
    for (int guard = 0; guard < 1000; guard++) {
        top->eval();
        const bool ar_hs = top->s_axil_arvalid && top->s_axil_arready;
        const bool r_hs = top->s_axil_rvalid;
        const unsigned data = top->s_axil_rdata;
        tick();
        if (ar_hs) top->s_axil_arvalid = 0;
        if (r_hs) { top->s_axil_rready = 0; return data; }
    }
    std::fprintf(stderr, "AXI-Lite read of %#x: no response\n", addr);
    std::exit(2);
}

int main(int argc, char** argv) {
    Verilated::commandArgs(argc, argv);
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s idle <cycles> | prog <addr> <descriptors> <regs>\n", argv[0]);
        return 2;
    }
    const bool prog = !std::strcmp(argv[1], "prog");
    if (prog && argc < 5) {
        std::fprintf(stderr, "prog needs <addr> <descriptors> <regs>\n");
        return 2;
    }
    std::vector<std::pair<std::string, unsigned>> regs;
    std::map<std::string, unsigned> reg_addr;
    if (prog) {
        std::string spec = argv[4];
        size_t pos = 0;
        while (pos < spec.size()) {
            size_t end = spec.find(',', pos);
            if (end == std::string::npos) end = spec.size();
            const std::string item = spec.substr(pos, end - pos);
            const size_t eq = item.find('=');
            const unsigned a = std::strtoul(item.substr(eq + 1).c_str(), nullptr, 0);
            regs.emplace_back(item.substr(0, eq), a);
            reg_addr[item.substr(0, eq)] = a;
            pos = end + 1;
        }
    }
    top = new Vaccel_top_hdlmem;
    top->clk = 0; top->rst = 1; top->stall_en = 0; top->stall_seed = 1;
    top->s_axil_awvalid = 0; top->s_axil_wvalid = 0; top->s_axil_bready = 0;
    top->s_axil_arvalid = 0; top->s_axil_rready = 0;
    for (int i = 0; i < 8; i++) tick();
    top->rst = 0;
    tick();
    long n = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const std::clock_t c0 = std::clock();
    if (prog) {
        axil_write(reg_addr.at("irq_en"), 1);
        axil_write(reg_addr.at("irq_status"), 3);
        axil_write(reg_addr.at("prog_addr"), std::strtoul(argv[2], nullptr, 0));
        axil_write(reg_addr.at("prog_len"), std::strtoul(argv[3], nullptr, 0));
        cycles = 0;
        axil_write(reg_addr.at("ctrl"), 1);
        while (!top->irq) {
            tick();
            if (cycles > 2000000000L) { std::fprintf(stderr, "no irq\n"); return 2; }
        }
        n = cycles;
    } else {
        n = std::atol(argv[2]);
        for (long i = 0; i < n; i++) tick();
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = double(std::clock() - c0) / CLOCKS_PER_SEC;
    std::printf("cycles %ld seconds %.6f cpu %.6f\n", n, s, cpu);
    for (auto& r : regs) {
        if (r.first.rfind("cnt_", 0) == 0 || r.first == "status")
            std::printf("reg %s %u\n", r.first.c_str(), axil_read(r.second));
    }
    top->final();
    delete top;
    return 0;
}
