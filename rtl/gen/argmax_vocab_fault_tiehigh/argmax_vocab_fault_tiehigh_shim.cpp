#include <cstdlib>

#include <verilated.h>

#include "Vargmax_vocab_fault_tiehigh.h"

int main(int argc, char **argv) {
  Verilated::commandArgs(argc, argv);

  Vargmax_vocab_fault_tiehigh *top = new Vargmax_vocab_fault_tiehigh;

  while(!Verilated::gotFinish()) {
    top->eval();
  }

  top->final();

  delete top;

  return EXIT_SUCCESS;
}

