#include <cstdlib>

#include <verilated.h>

#include "Vdecoder_small_fault_cycles.h"

int main(int argc, char **argv) {
  Verilated::commandArgs(argc, argv);

  Vdecoder_small_fault_cycles *top = new Vdecoder_small_fault_cycles;

  while(!Verilated::gotFinish()) {
    top->eval();
  }

  top->final();

  delete top;

  return EXIT_SUCCESS;
}

