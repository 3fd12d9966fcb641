#ifndef KUBESIM_CLIBEDIT_SHIM_H
#define KUBESIM_CLIBEDIT_SHIM_H
#include <stdio.h>
#include <editline/readline.h>
#endif
