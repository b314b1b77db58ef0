#include <cstdlib>

#include <verilated.h>

#include "Vattend_head_hd8.h"

int main(int argc, char **argv) {
  Verilated::commandArgs(argc, argv);

  Vattend_head_hd8 *top = new Vattend_head_hd8;

  while(!Verilated::gotFinish()) {
    top->eval();
  }

  top->final();

  delete top;

  return EXIT_SUCCESS;
}

