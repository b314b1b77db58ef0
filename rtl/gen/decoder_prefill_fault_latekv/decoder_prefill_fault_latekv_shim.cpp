#include <cstdlib>

#include <verilated.h>

#include "Vdecoder_prefill_fault_latekv.h"

int main(int argc, char **argv) {
  Verilated::commandArgs(argc, argv);

  Vdecoder_prefill_fault_latekv *top = new Vdecoder_prefill_fault_latekv;

  while(!Verilated::gotFinish()) {
    top->eval();
  }

  top->final();

  delete top;

  return EXIT_SUCCESS;
}

