#include <cstdlib>

#include <verilated.h>

#include "Vmac_matvec.h"

int main(int argc, char **argv) {
  Verilated::commandArgs(argc, argv);

  Vmac_matvec *top = new Vmac_matvec;

  while(!Verilated::gotFinish()) {
    top->eval();
  }

  top->final();

  delete top;

  return EXIT_SUCCESS;
}

