#include <cstdlib>

#include <verilated.h>

#include "Vdecoder_small_fault_kvrow.h"

int main(int argc, char **argv) {
  Verilated::commandArgs(argc, argv);

  Vdecoder_small_fault_kvrow *top = new Vdecoder_small_fault_kvrow;

  while(!Verilated::gotFinish()) {
    top->eval();
  }

  top->final();

  delete top;

  return EXIT_SUCCESS;
}

