#include <cstdlib>

#include <verilated.h>

#include "Vattend_seq_hd16.h"

int main(int argc, char **argv) {
  Verilated::commandArgs(argc, argv);

  Vattend_seq_hd16 *top = new Vattend_seq_hd16;

  while(!Verilated::gotFinish()) {
    top->eval();
  }

  top->final();

  delete top;

  return EXIT_SUCCESS;
}

