#include <cstdlib>

#include <verilated.h>

#include "Vdecoder_prefill.h"

int main(int argc, char **argv) {
  Verilated::commandArgs(argc, argv);

  Vdecoder_prefill *top = new Vdecoder_prefill;

  while(!Verilated::gotFinish()) {
    top->eval();
  }

  top->final();

  delete top;

  return EXIT_SUCCESS;
}

