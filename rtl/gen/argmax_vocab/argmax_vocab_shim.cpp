#include <cstdlib>

#include <verilated.h>

#include "Vargmax_vocab.h"

int main(int argc, char **argv) {
  Verilated::commandArgs(argc, argv);

  Vargmax_vocab *top = new Vargmax_vocab;

  while(!Verilated::gotFinish()) {
    top->eval();
  }

  top->final();

  delete top;

  return EXIT_SUCCESS;
}

