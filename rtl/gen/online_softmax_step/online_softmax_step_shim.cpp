#include <cstdlib>

#include <verilated.h>

#include "Vonline_softmax_step.h"

int main(int argc, char **argv) {
  Verilated::commandArgs(argc, argv);

  Vonline_softmax_step *top = new Vonline_softmax_step;

  while(!Verilated::gotFinish()) {
    top->eval();
  }

  top->final();

  delete top;

  return EXIT_SUCCESS;
}

