#include <cstdlib>

#include <verilated.h>

#include "Vdecoder_small.h"

int main(int argc, char **argv) {
  Verilated::commandArgs(argc, argv);

  Vdecoder_small *top = new Vdecoder_small;

  while(!Verilated::gotFinish()) {
    top->eval();
  }

  top->final();

  delete top;

  return EXIT_SUCCESS;
}

