#include <cstdlib>

#include <verilated.h>

#include "Vdecoder_small_fault_norescale.h"

int main(int argc, char **argv) {
  Verilated::commandArgs(argc, argv);

  Vdecoder_small_fault_norescale *top = new Vdecoder_small_fault_norescale;

  while(!Verilated::gotFinish()) {
    top->eval();
  }

  top->final();

  delete top;

  return EXIT_SUCCESS;
}

